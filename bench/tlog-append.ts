// Benchmark: durable appends to the audit log (target: at least 20,000 entries/s on SQLite and 5,000/s on a
// local PostgreSQL, with a checkpoint at least every second). Each run appends from many concurrent producers
// for a fixed time; an append counts once it is acknowledged, i.e. committed with the signed checkpoint that
// covers it. The anchor, measured in the same run on the same storage, is plain batched INSERTs of the same bytes
// with the same durability settings and no hashing or signing: the ratio shows what the log costs over the
// database itself.
//
//   node bench/tlog-append.ts [--seconds 3] [--runs 3] [--producers 256,1024] [--no-postgres]
//
// Producers are concurrent appenders (requests to the hub, events in the agent); group commit puts what they
// have in flight into one transaction, so throughput grows with them. Each count is a separate row.
//
// Writes bench/out/tlog-append.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { startPostgres } from "@edgeward/testkit";
import { DurableLog, generateNoteKey, type LogStore } from "@edgeward/tlog";
import { PostgresStore } from "@edgeward/tlog/postgres";
import { SqliteStore } from "@edgeward/tlog/sqlite";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    runs: { type: "string", default: "3" },
    producers: { type: "string", default: "256,1024" },
    "no-postgres": { type: "boolean", default: false },
  },
});
const seconds = Number(values.seconds);
const runs = Math.max(1, Number(values.runs));
const producerCounts = values.producers.split(",").map(Number);
let producers = producerCounts[0]!;

const entry = (p: number, i: number): Uint8Array =>
  Buffer.from(
    `{"actor":"agent:device-${p}","details":{"seq":${i}},"kind":"guard.decision","subject":"model:detector@1.4.2","time":"2026-05-01T12:00:00.000Z"}`,
  );

interface Run {
  entriesPerSecond: number;
  checkpoints: number;
  maxCheckpointGapMs: number;
}

/** Appends from `producers` concurrent loops for `seconds`; counts acknowledged entries and checkpoint gaps. */
async function appendRun(store: LogStore): Promise<Run> {
  const { signer } = generateNoteKey("bench.example/log");
  let last = performance.now();
  let maxGap = 0;
  let checkpoints = 0;
  const log = await DurableLog.create(
    store,
    { origin: "bench.example/log", signer },
    {
      onCheckpoint: () => {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
        checkpoints++;
      },
    },
  );
  let acked = 0;
  const start = performance.now();
  last = start;
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: producers }, async (_, p) => {
      for (let i = 0; performance.now() < end; i++) {
        await log.append(entry(p, i));
        acked++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  await log.close();
  return { entriesPerSecond: acked / elapsed, checkpoints, maxCheckpointGapMs: maxGap };
}

/** The anchor: the same bytes inserted in batches of `batch` rows per transaction, same durability settings. */
function sqliteAnchor(path: string, batch: number): number {
  const db = new DatabaseSync(path);
  db.exec(
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE e (idx INTEGER PRIMARY KEY, data BLOB NOT NULL)",
  );
  const ins = db.prepare("INSERT INTO e (idx, data) VALUES (?, ?)");
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    db.exec("BEGIN IMMEDIATE");
    for (let i = 0; i < batch; i++, n++) ins.run(n, entry(i % producers, n));
    db.exec("COMMIT");
  }
  const rate = n / ((performance.now() - start) / 1000);
  db.close();
  return rate;
}

async function postgresAnchor(url: string, batch: number): Promise<number> {
  const c = new pg.Client(url);
  await c.connect();
  await c.query("DROP TABLE IF EXISTS e; CREATE TABLE e (idx BIGINT PRIMARY KEY, data BYTEA NOT NULL)");
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    const idx = Array.from({ length: batch }, (_, i) => n + i);
    await c.query("BEGIN");
    await c.query("INSERT INTO e SELECT * FROM unnest($1::bigint[], $2::bytea[])", [
      idx,
      idx.map((i) => Buffer.from(entry(i % producers, i))),
    ]);
    await c.query("COMMIT");
    n += batch;
  }
  const rate = n / ((performance.now() - start) / 1000);
  await c.end();
  return rate;
}

/** The mean batch (entries per checkpoint) of a run: the anchor inserts in batches of the same size. */
function batchOf(run: Run): number {
  return Math.max(1, Math.round(run.entriesPerSecond / Math.max(1, run.checkpoints / seconds)));
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function summarise(name: string, list: Run[], anchor: number[], target: number): Record<string, unknown> {
  const rate = median(list.map((r) => r.entriesPerSecond));
  const row = {
    backend: name,
    medianEntriesPerSecond: Math.round(rate),
    target,
    meetsTarget: rate >= target && list.every((r) => r.maxCheckpointGapMs <= 1000),
    anchorMedianRowsPerSecond: Math.round(median(anchor)),
    ratioToAnchor: rate / median(anchor),
    maxCheckpointGapMs: Math.max(...list.map((r) => r.maxCheckpointGapMs)),
    checkpointsPerSecond: median(list.map((r) => r.checkpoints / seconds)),
    runs: list,
  };
  console.log(
    `${name}: ${row.medianEntriesPerSecond} entries/s (target ${target}) — anchor ${row.anchorMedianRowsPerSecond} rows/s, ratio ${row.ratioToAnchor.toFixed(3)} — ` +
      `${row.checkpointsPerSecond.toFixed(0)} checkpoints/s, longest gap ${row.maxCheckpointGapMs.toFixed(1)} ms`,
  );
  return row;
}

const results: Record<string, unknown>[] = [];
const dir = mkdtempSync(join(tmpdir(), "edgeward-tlog-bench-"));
const server = values["no-postgres"] ? undefined : await startPostgres();
let n = 0;
try {
  for (producers of producerCounts) {
    const sqlite: Run[] = [];
    const sqliteAnchorRates: number[] = [];
    for (let r = 0; r < runs; r++, n++) {
      const run = await appendRun(new SqliteStore(join(dir, `log-${n}.db`)));
      sqlite.push(run);
      sqliteAnchorRates.push(sqliteAnchor(join(dir, `anchor-${n}.db`), batchOf(run)));
    }
    results.push(
      summarise(`sqlite (WAL, synchronous=FULL), ${producers} producers`, sqlite, sqliteAnchorRates, 20_000),
    );

    if (server !== undefined) {
      const runsPg: Run[] = [];
      const anchorPg: number[] = [];
      for (let r = 0; r < runs; r++, n++) {
        const schema = `b${n}`;
        const admin = new pg.Client(server.url);
        await admin.connect();
        await admin.query(`CREATE SCHEMA ${schema}`);
        await admin.end();
        const url = `${server.url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
        const run = await appendRun(new PostgresStore(url));
        runsPg.push(run);
        anchorPg.push(await postgresAnchor(url, batchOf(run)));
      }
      results.push(summarise(`postgresql (synchronous_commit=on), ${producers} producers`, runsPg, anchorPg, 5_000));
    }
  }
} finally {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
}
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
console.log(`peak RSS ${peakRssMiB.toFixed(0)} MiB`);
const out = new URL("out/", import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(
  new URL("tlog-append.json", out),
  `${JSON.stringify({ seconds, runs, producers, peakRssMiB, results }, null, 2)}\n`,
);
