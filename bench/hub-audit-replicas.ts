// Benchmark: the hub's audit log shared by replicas. Every security decision and every mutating operator call is
// one append (ARCHITECTURE.md, promise 10); with several `serve` processes on one PostgreSQL they append to one
// log, and a replica whose append finds the log extended by another reopens it at the new head and appends again
// (packages/hub/src/audit/hub-log.ts). This measures what that sharing costs. The anchor, in the same run on the
// same server, is one writer alone with the same total number of concurrent producers.
//
//   node bench/hub-audit-replicas.ts [--seconds 3] [--runs 3] [--producers 64] [--writers 2]
//
// Writers are HubAuditLog instances, each with its own connection pool, as separate processes would have.
// Writes bench/out/hub-audit-replicas.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import pg from "pg";
import { startPostgres } from "@edgeward/testkit";
import { PostgresStore, generateNoteKey } from "@edgeward/tlog";
import { HubAuditLog, HubStore, LOCK_KEYS, writerLock } from "@edgeward/hub";
import { median } from "./lib/measure.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    runs: { type: "string", default: "3" },
    producers: { type: "string", default: "64" },
    writers: { type: "string", default: "2" },
  },
});
const seconds = Number(values.seconds);
const runs = Math.max(1, Number(values.runs));
const producers = Number(values.producers);
const writers = Number(values.writers);

interface Run {
  appendsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** `count` writers on one fresh schema, `producers` loops spread over them, appending for `seconds`. */
async function run(url: string, schema: string, count: number): Promise<Run> {
  const admin = new pg.Client(url);
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const at = `${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const { signer } = generateNoteKey("bench.example/hub");
  // Each writer as its own process would be: its own pools, and a URL spelled its own way (so only the
  // database's advisory lock, not an in-process queue, keeps the writers apart).
  const stores = await Promise.all(
    Array.from({ length: count }, (_, i) => HubStore.open({ postgres: `${at}&application_name=w${i}` })),
  );
  const first = await HubAuditLog.create(new PostgresStore(at), signer);
  await first.close();
  const logs: HubAuditLog[] = [];
  for (const s of stores)
    logs.push(await HubAuditLog.open(new PostgresStore(at), signer, writerLock(s, LOCK_KEYS.auditLog)));
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: producers }, async (_, p) => {
      const log = logs[p % logs.length]!;
      while (performance.now() < until) {
        const t = performance.now();
        await log.append({
          time: "2026-05-01T12:00:00.000Z",
          actor: `agent:device-${p}`,
          kind: "attest.pass",
          subject: `device-${p}`,
          details: { seq: n++ },
        });
        latencies.push(performance.now() - t);
      }
    }),
  );
  for (const log of logs) await log.close();
  for (const s of stores) await s.close();
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { appendsPerSecond: latencies.length / seconds, p50Ms: pct(0.5), p99Ms: pct(0.99) };
}

const pgServer = await startPostgres();
const results: { round: number; one: Run; shared: Run }[] = [];
const cpu0 = process.cpuUsage();
try {
  for (let r = 0; r < runs; r++) {
    // Alternate the order so neither side always runs on a warmer server.
    const one = r % 2 === 0 ? await run(pgServer.url, `one${r}`, 1) : undefined;
    const shared = await run(pgServer.url, `shared${r}`, writers);
    const oneLate = one ?? (await run(pgServer.url, `one${r}`, 1));
    results.push({ round: r, one: oneLate, shared });
    process.stdout.write(
      `run ${r + 1}: one writer ${oneLate.appendsPerSecond.toFixed(0)}/s (p99 ${oneLate.p99Ms.toFixed(1)} ms), ` +
        `${writers} writers ${shared.appendsPerSecond.toFixed(0)}/s (p99 ${shared.p99Ms.toFixed(1)} ms)\n`,
    );
  }
} finally {
  await pgServer.stop();
}
const med = (f: (r: { one: Run; shared: Run }) => number) => median(results.map(f));
const summary = {
  producers,
  writers,
  seconds,
  runs,
  oneWriterPerSecond: med((r) => r.one.appendsPerSecond),
  sharedPerSecond: med((r) => r.shared.appendsPerSecond),
  ratio: med((r) => r.shared.appendsPerSecond / r.one.appendsPerSecond),
  oneP99Ms: med((r) => r.one.p99Ms),
  sharedP99Ms: med((r) => r.shared.p99Ms),
  cpuSeconds: (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1e6,
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
writeFileSync(new URL("./out/hub-audit-replicas.json", import.meta.url), JSON.stringify({ summary, results }, null, 2));
