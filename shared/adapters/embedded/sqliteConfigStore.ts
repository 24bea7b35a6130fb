/**
 * ConfigRepository on the embedded SQLite database: one row per config version
 * (`config_versions`). Each change is one `INSERT … SELECT … ON CONFLICT DO NOTHING`:
 * the SELECT is the condition ("version n exists and is not a deletion"), the
 * primary key `(config_id, version)` makes the insert conditional, exactly as the
 * DynamoDB adapter's `attribute_not_exists` put.
 */
import {
  ConfigConflictError,
  type ConfigCreation,
  type ConfigDeletion,
  ConfigNotFoundError,
  type ConfigRepository,
  type ConfigUpdate,
  type ConfigVersion,
} from '../../ports/configs';
import type { Database } from './database';

interface VersionRow {
  config_id: string;
  version: number;
  doc: string;
  created_at: string;
  updated_at: string;
  updated_by: string;
  deleted: number;
}

const COLUMNS = 'config_id, version, doc, created_at, updated_at, updated_by, deleted';

function toVersion(row: VersionRow): ConfigVersion {
  return {
    configId: row.config_id,
    version: row.version,
    json: row.doc,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
    deleted: row.deleted === 1,
  };
}

export class SqliteConfigStore implements ConfigRepository {
  constructor(private readonly db: Database) {}

  async list(): Promise<ConfigVersion[]> {
    const rows = this.db
      .prepare(
        `SELECT ${COLUMNS} FROM config_versions v
         WHERE v.deleted = 0
           AND v.version = (SELECT MAX(w.version) FROM config_versions w WHERE w.config_id = v.config_id)
         ORDER BY v.created_at, v.config_id`,
      )
      .all() as unknown as VersionRow[];
    return rows.map(toVersion);
  }

  async get(configId: string): Promise<ConfigVersion | undefined> {
    const latest = this.latest(configId);
    return latest && !latest.deleted ? latest : undefined;
  }

  async create(change: ConfigCreation): Promise<ConfigVersion> {
    const { changes } = this.db
      .prepare(
        `INSERT INTO config_versions (${COLUMNS}) VALUES (?, 1, ?, ?, ?, ?, 0)
         ON CONFLICT (config_id, version) DO NOTHING`,
      )
      .run(change.configId, change.json, change.at, change.at, change.by);
    if (Number(changes) === 0) {
      throw new ConfigConflictError(change.configId, `config ${change.configId} already exists`);
    }
    return this.version(change.configId, 1);
  }

  async update(change: ConfigUpdate): Promise<ConfigVersion> {
    const { changes } = this.db
      .prepare(
        `INSERT INTO config_versions (${COLUMNS})
         SELECT config_id, version + 1, ?, created_at, ?, ?, 0 FROM config_versions
         WHERE config_id = ? AND version = ? AND deleted = 0
         ON CONFLICT (config_id, version) DO NOTHING`,
      )
      .run(change.json, change.at, change.by, change.configId, change.expectedVersion);
    if (Number(changes) === 0) this.explainRefusal(change.configId);
    return this.version(change.configId, change.expectedVersion + 1);
  }

  async delete(change: ConfigDeletion): Promise<ConfigVersion> {
    const { changes } = this.db
      .prepare(
        `INSERT INTO config_versions (${COLUMNS})
         SELECT config_id, version + 1, doc, created_at, ?, ?, 1 FROM config_versions
         WHERE config_id = ? AND version = ? AND deleted = 0
         ON CONFLICT (config_id, version) DO NOTHING`,
      )
      .run(change.at, change.by, change.configId, change.expectedVersion);
    if (Number(changes) === 0) this.explainRefusal(change.configId);
    return this.version(change.configId, change.expectedVersion + 1);
  }

  async history(configId: string): Promise<ConfigVersion[]> {
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM config_versions WHERE config_id = ? ORDER BY version DESC`)
      .all(configId) as unknown as VersionRow[];
    return rows.map(toVersion);
  }

  private latest(configId: string): ConfigVersion | undefined {
    const row = this.db
      .prepare(`SELECT ${COLUMNS} FROM config_versions WHERE config_id = ? ORDER BY version DESC LIMIT 1`)
      .get(configId) as VersionRow | undefined;
    return row ? toVersion(row) : undefined;
  }

  private version(configId: string, version: number): ConfigVersion {
    const row = this.db
      .prepare(`SELECT ${COLUMNS} FROM config_versions WHERE config_id = ? AND version = ?`)
      .get(configId, version) as VersionRow | undefined;
    if (!row) throw new ConfigConflictError(configId, `config ${configId} has no version ${version}`);
    return toVersion(row);
  }

  /** A conditional insert did nothing: the config is gone, or it moved past the expected version. */
  private explainRefusal(configId: string): never {
    const latest = this.latest(configId);
    if (!latest || latest.deleted) throw new ConfigNotFoundError(configId);
    throw new ConfigConflictError(configId);
  }
}
