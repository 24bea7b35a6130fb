import type { SlotClaim, SlotStore } from '../../ports/scheduler';
import { type Database, transaction } from './database';

/** Slots in the embedded database; one transaction per claim, so replicas sharing the file agree. */
export class SqliteSlotStore implements SlotStore {
  constructor(private readonly db: Database) {}

  async claim(configId: string, slot: string): Promise<SlotClaim> {
    return transaction(this.db, () => {
      const row = this.db
        .prepare('SELECT last_slot FROM schedule_slots WHERE config_id = ?')
        .get(configId) as { last_slot: string } | undefined;
      if (!row) {
        this.db
          .prepare('INSERT INTO schedule_slots (config_id, last_slot) VALUES (?, ?)')
          .run(configId, slot);
        return 'baseline';
      }
      if (row.last_slot >= slot) return 'taken';
      this.db.prepare('UPDATE schedule_slots SET last_slot = ? WHERE config_id = ?').run(slot, configId);
      return 'claimed';
    });
  }
}
