import type { ApiConfig } from '../../shared/core/config/types';
import { configIdOf, extractionIdOf, extractionLabel, localId } from '../../shared/core/ids';

const config = (extractions: Array<{ name: string; id?: string }>, id?: string) =>
  ({ name: 'Zoho CRM', id, extractions }) as unknown as ApiConfig;

describe('ids', () => {
  test('localId folds a name into a stable slug', () => {
    expect(localId('  Zoho CRM — Deals_2026 ')).toBe('zoho-crm-deals-2026');
    expect(localId('Ação Já')).toBe('acao-ja');
  });

  test("a config's own id wins; without one it is derived from the name", () => {
    expect(configIdOf(config([], 'cfg-1'))).toBe('cfg-1');
    expect(configIdOf(config([]))).toBe('local-zoho-crm');
  });

  test('extractions without an id get one from the config and their name; repeated names are numbered', () => {
    const c = config([{ name: 'Deals' }, { name: 'Deals' }, { name: 'Notes', id: 'own' }, { name: 'Deals' }]);
    expect(c.extractions.map((e) => extractionIdOf(c, e))).toEqual([
      'local-zoho-crm.deals',
      'local-zoho-crm.deals#2',
      'own',
      'local-zoho-crm.deals#3',
    ]);
  });

  test('a label names the position only when another extraction shares the name', () => {
    const c = config([{ name: 'Deals' }, { name: 'Notes' }, { name: 'Deals' }]);
    expect([0, 1, 2].map((i) => extractionLabel(c, i))).toEqual(['Deals (#1)', 'Notes', 'Deals (#3)']);
    expect(extractionLabel(c, 7)).toBe('#8');
  });
});
