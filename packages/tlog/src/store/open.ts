import { EdgewardError } from "@edgeward/core";
import { PostgresStore } from "./postgres.ts";
import { SqliteStore, type SqliteOptions } from "./sqlite.ts";
import type { LogStore } from "./types.ts";

/** Where a log lives: a SQLite file, or a PostgreSQL connection URL (exactly one). */
export interface StoreLocation {
  readonly db?: string | undefined;
  readonly postgres?: string | undefined;
  readonly sqlite?: SqliteOptions | undefined;
}

/** Opens the store a location names (the CLI's `--db PATH` or `--postgres URL`). */
export function openStore(where: StoreLocation): LogStore {
  if ((where.db === undefined) === (where.postgres === undefined))
    throw new EdgewardError("EW_ERR_USAGE", { detail: "pass exactly one of --db PATH or --postgres URL" });
  if (where.postgres !== undefined) return new PostgresStore(where.postgres);
  return new SqliteStore(where.db!, where.sqlite ?? {});
}
