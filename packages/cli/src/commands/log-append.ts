import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { Command } from "commander";
import { EdgewardError } from "@edgeward/core/errors";
import {
  DurableLog,
  LogReader,
  encodeAuditEvent,
  parseStrictJson,
  readEventLines,
  validateAuditEvent,
  type Receipt,
} from "@edgeward/tlog";
import { FileSignedState } from "@edgeward/tlog/file-state";
import { loadSigner, withStore, withStoreOptions, type StoreOptions } from "./log-common.ts";

interface AppendOptions extends StoreOptions {
  file?: string;
  json?: boolean;
  key?: string;
}

/** Most appends waiting for their batch at once, so a huge input does not queue unboundedly. */
const IN_FLIGHT = 16384;

/** `edgeward log append`: append audit events (one JSON object per line) and print each index once durable. */
export function registerLogAppend(log: Command): void {
  withStoreOptions(log.command("append"))
    .description("append audit events, one JSON object per line; prints each index once it is durable and signed")
    .option("--file <file>", "read events from FILE, or - for standard input (the default)")
    .option("--key <file>", "the signing key (default: the key file recorded by `log init`)")
    .option("--json", 'print {"index","treeSize"} per entry')
    .action(async (opts: AppendOptions) => {
      await withStore(opts, async (store) => {
        const meta = (await LogReader.open(store)).meta;
        const keyPath = opts.key ?? meta.keyPath;
        if (keyPath === undefined) throw new EdgewardError("EW_ERR_USAGE", { detail: "give --key FILE" });
        // The last signed checkpoint is kept beside the key, so a database restored from an older copy is refused.
        const log = await DurableLog.open(store, await loadSigner(keyPath), {
          signedState: FileSignedState.besideKey(keyPath),
        });
        const input: Readable =
          opts.file === undefined || opts.file === "-" ? process.stdin : await openInput(opts.file);
        try {
          await appendLines(log, input, opts.json === true);
        } finally {
          // close() commits what is pending and records the last checkpoint in the signed state as stored.
          await log.close();
        }
      });
    });
}

/**
 * Appends each non-empty line as an audit event (a missing `time` is set to now) and prints each index as soon as
 * it is durable, in input order, so a slow stream (an agent piping events) sees its acknowledgements at once. At
 * the first invalid line it stops reading, waits for the entries before it, and fails naming the line, so what
 * was printed is exactly what was appended.
 */
async function appendLines(log: DurableLog, input: Readable, json: boolean): Promise<void> {
  const queue: { done: boolean; receipt?: Receipt; error?: unknown }[] = [];
  const all: Promise<unknown>[] = [];
  let failure: Error | undefined; // the first invalid line
  let appendFailure: Error | undefined; // the first failed append (the log stops after one)
  let room: (() => void) | undefined;
  const printReady = (): void => {
    while (queue[0]?.done === true) {
      const { receipt, error } = queue.shift()!;
      if (receipt === undefined) appendFailure ??= toError(error);
      else
        process.stdout.write(
          json
            ? `${JSON.stringify({ index: receipt.index, treeSize: receipt.checkpoint.size })}\n`
            : `${receipt.index}\n`,
        );
    }
    if (queue.length < IN_FLIGHT) room?.();
  };
  // The size limit holds while reading: a line longer than an event may be is refused before it is held whole.
  for await (const line of readEventLines(input)) {
    let data: Uint8Array;
    try {
      if ("error" in line) throw line.error;
      if (line.text.trim() === "") continue;
      data = encodeAuditEvent(toEvent(line.text));
    } catch (err) {
      failure =
        err instanceof EdgewardError
          ? new EdgewardError(err.code, { detail: `line ${line.number}: ${err.detail ?? ""}`, cause: err })
          : toError(err);
      break;
    }
    const slot: { done: boolean; receipt?: Receipt; error?: unknown } = { done: false };
    queue.push(slot);
    all.push(
      log.append(data).then(
        (receipt) => {
          slot.done = true;
          slot.receipt = receipt;
          printReady();
        },
        (error: unknown) => {
          slot.done = true;
          slot.error = error;
          printReady();
        },
      ),
    );
    if (appendFailure !== undefined) break;
    if (queue.length >= IN_FLIGHT) await new Promise<void>((r) => (room = r));
  }
  await Promise.all(all);
  printReady();
  const first = appendFailure ?? failure;
  if (first !== undefined) throw first;
}

function toError(err: unknown): Error {
  return err instanceof EdgewardError ? err : new EdgewardError("EW_ERR_INTERNAL", { cause: err });
}

function toEvent(line: string): ReturnType<typeof validateAuditEvent> {
  // Strict: a repeated member or a number that would lose digits is refused, not silently changed.
  let value: unknown = parseStrictJson(line);
  if (typeof value === "object" && value !== null && !Array.isArray(value) && !("time" in value))
    value = { ...value, time: new Date().toISOString() };
  return validateAuditEvent(value);
}

async function openInput(path: string): Promise<Readable> {
  try {
    return (await open(path, "r")).createReadStream();
  } catch (err) {
    throw new EdgewardError("EW_ERR_IO", { detail: `cannot read ${path}`, cause: err });
  }
}
