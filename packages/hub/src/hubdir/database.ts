/**
 * Opening a hub directory's database and audit log, for `serve` and for the commands that work on the directory
 * itself (tokens, the offline TUF keys): the SQLite files in the directory, or the PostgreSQL database hub.json
 * names (or the one given instead), migrated; the audit log checked against its last signed checkpoint.
 */
import { parseSignerKey, type LogStore } from "@edgeward/tlog";
import { PostgresStore } from "@edgeward/tlog/postgres";
import { SqliteStore } from "@edgeward/tlog/sqlite";
import { HubAuditLog } from "../audit/hub-log.ts";
import { HubStore } from "../store/hub-store.ts";
import { LOCK_KEYS, writerLock } from "../store/writer-lock.ts";
import { readHubFile } from "./files.ts";
import type { HubConfig, HubPaths } from "./layout.ts";
import { readPostgresPassword, splitPostgresPassword, withPostgresPassword } from "./postgres-secret.ts";

/** An opened hub database: the store and the audit log; {@link close} closes both. */
export interface OpenedHubDatabase {
  readonly store: HubStore;
  readonly audit: HubAuditLog;
  close(): Promise<void>;
}

/**
 * Opens the store and the audit log of the hub in `paths`; `postgres` replaces the URL hub.json names and is used
 * as given. hub.json's URL has no password: HUB/secrets/postgres-password supplies it when present, PGPASSWORD
 * (node-postgres reads it, as libpq does) otherwise.
 */
export async function openHubDatabase(
  paths: HubPaths,
  config: HubConfig,
  postgres?: string,
): Promise<OpenedHubDatabase> {
  const url = postgres ?? (await configuredUrl(paths, config));
  const logKey = await readHubFile(paths.logKey);
  const store = await HubStore.open(url === undefined ? { sqlite: paths.sqlite } : { postgres: url });
  let audit: HubAuditLog;
  try {
    const logStore: LogStore =
      url === undefined ? new SqliteStore(paths.logDb, { mustExist: true }) : new PostgresStore(url);
    audit = await HubAuditLog.open(logStore, parseSignerKey(logKey), writerLock(store, LOCK_KEYS.auditLog));
  } catch (err) {
    await store.close();
    throw err;
  }
  return {
    store,
    audit,
    close: async () => {
      await audit.close();
      await store.close();
    },
  };
}

async function configuredUrl(paths: HubPaths, config: HubConfig): Promise<string | undefined> {
  if (config.database.kind !== "postgres") return undefined;
  const { url, password } = splitPostgresPassword(config.database.url);
  // A hub.json written before passwords moved out may still hold one; it is used, the file is not needed then.
  if (password !== undefined) return config.database.url;
  const stored = await readPostgresPassword(paths.postgresPassword);
  return stored === undefined ? url : withPostgresPassword(url, stored);
}
