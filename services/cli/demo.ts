/**
 * `api-extractor demo`: the seed's Zoho deals config, pointed at a demo API that
 * this process serves on 127.0.0.1 (token endpoint, 250 deals in pages, If-Modified-Since).
 * Run it twice to see an incremental run: the second finds nothing new (304).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFakeApi } from './demoApi';
import { localLayout } from '../../shared/adapters/local/engineDeps';

const DEMO_SECRETS = {
  demo_refresh_token: 'demo-refresh-token',
  demo_client_id: 'demo-client',
  demo_client_secret: 'demo-client-secret',
};

export function demoConfig(apiUrl: string): Record<string, unknown> {
  return {
    name: 'Zoho (demo)',
    auth: {
      refresh_token: {
        endpoint: {
          url: `${apiUrl}/oauth/v2/token`,
          query_params: {
            refresh_token: '${secret::demo_refresh_token}',
            client_id: '${secret::demo_client_id}',
            client_secret: '${secret::demo_client_secret}',
            grant_type: 'refresh_token',
          },
        },
        response_token_key: 'access_token',
      },
      access_token: '',
    },
    extractions: [
      {
        name: 'deals',
        endpoint: {
          url: `${apiUrl}/crm/v2/deals`,
          headers: {
            Authorization: 'Bearer ${self::auth.access_token}',
            'If-Modified-Since': '${last::Modified_Time, 2020-09-03T17:40:53-05:00}',
          },
          query_params: { sort_by: 'Modified_Time', sort_order: 'asc', per_page: 50 },
        },
        s3_destiny: { folder: 'zoho/deals/' },
        data_key: 'data',
        format: 'csv',
        transformations: [
          { action: 'replace', on: ['description'], params: { to_replace: ';', value: '.' } },
        ],
        output_params: { csv_separator: ';' },
        data_schema: {
          id: 'id',
          Deal_Name: 'deal_name',
          Stage: 'stage',
          Amount: 'amount',
          Description: 'description',
          $currency_symbol: 'currency_symbol',
          Owner: { name: 'owner_name', id: 'owner_id', email: 'owner_email' },
          Account_Name: { name: 'account_name_name', id: 'account_name_id' },
          Modified_Time: 'modified_time',
        },
        pagination: {
          type: 'sequential',
          parameters: { param_name: 'page', start_from: 1, there_are_more_pages: 'info.more_records' },
        },
      },
    ],
  };
}

export async function runDemo(
  dataDir: string,
  run: (configPath: string, dataDir: string) => Promise<number>,
): Promise<number> {
  const layout = localLayout(dataDir);
  const api = await startFakeApi({
    records: 250,
    token: {
      refreshToken: DEMO_SECRETS.demo_refresh_token,
      clientId: DEMO_SECRETS.demo_client_id,
      clientSecret: DEMO_SECRETS.demo_client_secret,
    },
  });
  try {
    await mkdir(join(layout.dataDir, 'demo'), { recursive: true });
    let secrets: Record<string, unknown> = {};
    try {
      secrets = JSON.parse(await readFile(layout.secretsFile, 'utf8')) as Record<string, unknown>;
    } catch {
      secrets = {};
    }
    await writeFile(layout.secretsFile, JSON.stringify({ ...secrets, ...DEMO_SECRETS }, null, 2));
    const configPath = join(layout.dataDir, 'demo', 'zoho-deals.json');
    await writeFile(configPath, JSON.stringify(demoConfig(api.url), null, 2));
    process.stderr.write(`demo API on ${api.url}; config written to ${configPath}\n`);
    return await run(configPath, dataDir);
  } finally {
    await api.close();
  }
}
