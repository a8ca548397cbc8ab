import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { Command } from "commander";
import { EdgewardError } from "@edgeward/core";
import { DurableLog, LogReader, encodeAuditEvent, validateAuditEvent, type Receipt } from "@edgeward/tlog";
import { loadSigner, printJson, withStore, withStoreOptions, type StoreOptions } from "./log-common.ts";

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
        const log = await DurableLog.open(store, await loadSigner(keyPath));
        const input: Readable =
          opts.file === undefined || opts.file === "-" ? process.stdin : await openInput(opts.file);
        await appendLines(log, input, opts.json === true);
        await log.flush();
      });
    });
}

/**
 * Appends each non-empty line as an audit event (a missing `time` is set to now), printing acknowledgements in
 * input order. At the first invalid line it stops reading, waits for the entries before it, and fails naming the
 * line, so what was printed is exactly what was appended.
 */
async function appendLines(log: DurableLog, input: Readable, json: boolean): Promise<void> {
  const pending: Promise<Receipt>[] = [];
  const printNext = async (): Promise<void> => {
    const r = await pending.shift()!;
    if (json) printJson({ index: r.index, treeSize: r.checkpoint.size });
    else process.stdout.write(`${r.index}\n`);
  };
  let lineNo = 0;
  let failure: Error | undefined;
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === "") continue;
    let data: Uint8Array;
    try {
      data = encodeAuditEvent(toEvent(line));
    } catch (err) {
      failure =
        err instanceof EdgewardError
          ? new EdgewardError(err.code, { detail: `line ${lineNo}: ${err.detail ?? ""}`, cause: err })
          : new EdgewardError("EW_ERR_INTERNAL", { cause: err });
      break;
    }
    const p = log.append(data);
    p.catch(() => undefined); // awaited in order by printNext
    pending.push(p);
    if (pending.length >= IN_FLIGHT) await printNext();
  }
  lines.close();
  while (pending.length > 0) await printNext();
  if (failure !== undefined) throw failure;
}

function toEvent(line: string): ReturnType<typeof validateAuditEvent> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new EdgewardError("EW_ERR_LOG_EVENT_INVALID", { detail: "not JSON", cause: err });
  }
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
