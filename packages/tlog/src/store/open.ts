import { EdgewardError } from "@edgeward/core/errors";
import type { SqliteOptions } from "./sqlite.ts";
import type { LogStore } from "./types.ts";

/** Where a log lives: a SQLite file, or a PostgreSQL connection URL (exactly one). */
export interface StoreLocation {
  readonly db?: string | undefined;
  readonly postgres?: string | undefined;
  readonly sqlite?: SqliteOptions | undefined;
}

/**
 * Opens the store a location names (EW_ERR_LOG_STORAGE when it names neither or both). Each driver is loaded only when its store is asked for, so a program that
 * uses one never loads the other (a device on SQLite never loads the PostgreSQL client).
 */
export async function openStore(where: StoreLocation): Promise<LogStore> {
  if ((where.db === undefined) === (where.postgres === undefined))
    throw new EdgewardError("EW_ERR_LOG_STORAGE", {
      detail: "a log store is either a SQLite file or a PostgreSQL URL: give exactly one",
    });
  if (where.postgres !== undefined) {
    const { PostgresStore } = await import("./postgres.ts");
    return new PostgresStore(where.postgres);
  }
  const { SqliteStore } = await import("./sqlite.ts");
  return new SqliteStore(where.db!, where.sqlite ?? {});
}
