// Shared plumbing of the `edgeward log` subcommands: where the log is, the signing key, output.
import type { Command } from "commander";
import { EdgewardError } from "@edgeward/core/errors";
import { readTextFile } from "@edgeward/io/read";
import { parseSignerKey, type LogStore, type NoteSigner } from "@edgeward/tlog";
import { openStore } from "@edgeward/tlog/open";

/** The options every `edgeward log` subcommand takes. */
export interface StoreOptions {
  db?: string;
  postgres?: string;
}

/** Adds `--db PATH` and `--postgres URL` to a subcommand. */
export function withStoreOptions(cmd: Command): Command {
  return cmd
    .option("--db <path>", "the log's SQLite database file")
    .option("--postgres <url>", "the log's PostgreSQL database (postgres://user@host:port/db)");
}

/** How a subcommand opens the log: an existing one (the default), a new one, or an existing one read-only. */
export type StoreMode = "existing" | "create" | "read-only";

/** Opens the store named by the options, runs `body`, and always closes it (so a PostgreSQL pool ends). */
export async function withStore<T>(
  opts: StoreOptions,
  body: (store: LogStore) => Promise<T>,
  mode: StoreMode = "existing",
): Promise<T> {
  if ((opts.db === undefined) === (opts.postgres === undefined))
    throw new EdgewardError("EW_ERR_USAGE", { detail: "pass exactly one of --db PATH or --postgres URL" });
  const store = await openStore({
    db: opts.db,
    postgres: opts.postgres,
    sqlite: { mustExist: mode !== "create", readOnly: mode === "read-only" },
  });
  try {
    return await body(store);
  } finally {
    await store.close().catch(() => undefined);
  }
}

/** Reads and parses a signing key file; a missing file is EW_ERR_IO, a bad one EW_ERR_NOTE_SKEY. */
export async function loadSigner(path: string): Promise<NoteSigner> {
  return parseSignerKey(await readText(path, "signing key file"));
}

/** Reads a small text file with typed failures (EW_ERR_IO, EW_ERR_IO_IS_DIRECTORY): the CLI's one file reader. */
export const readText = readTextFile;

/** Parses a non-negative decimal option value strictly (no sign, no exponent), else EW_ERR_USAGE. */
export function parseCount(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = /^(0|[1-9][0-9]*)$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n))
    throw new EdgewardError("EW_ERR_USAGE", { detail: `${name} must be a non-negative integer` });
  return n;
}

/** One JSON line on stdout, with bytes as base64: the CLI's one printJson. */
export { printJson } from "../support/output.ts";
