// Benchmark: full attestation cycles through the hub (ARCHITECTURE.md flow 3; target at least 1,000 cycles/s on
// SQLite with p99 under 100 ms, and on PostgreSQL): each simulated device (bench/hub-attest-sim.ts, so the hub and
// not swtpm is measured) asks for a challenge and returns a quote over HTTPS with mTLS and keep-alive, and the hub
// stores the nonce, spends it, verifies the quote in process, applies the group's policy, stores the result and
// appends to its audit log. The devices run in separate client processes (bench/lib/hub-bench-client.ts), so the
// hub's CPU per cycle is its own; the clients' is printed beside it. The anchor, in the same run: in-process
// verifyQuote alone on the same kind of quote, per CPU-second of the hub process.
//
//   node bench/hub-attest.ts [--devices 64] [--seconds 10] [--clients 1] [--db sqlite|postgres|both] [--sync normal] [--commit-delay MS]
//
// Writes bench/out/hub-attest.json.
import "reflect-metadata";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { startBenchHub } from "./lib/hub-bench-hub.ts";
import { bareVerifyMsCpu, runFleet, type FleetResult } from "./lib/hub-bench-run.ts";

const { values } = parseArgs({
  options: {
    devices: { type: "string", default: "64" },
    seconds: { type: "string", default: "10" },
    clients: { type: "string", default: "1" },
    db: { type: "string", default: "sqlite" },
    // The old spelling of --db postgres.
    postgres: { type: "boolean", default: false },
    // "normal": the hub database's SQLite synchronous=NORMAL (WAL: durable across a process crash, not a power cut),
    // to show how much of a cycle is the fsync of synchronous=FULL, the hub's default.
    sync: { type: "string", default: "full" },
    // SQLite group commit: ms a transaction waits for more writes before COMMIT (0: the end of the event-loop turn).
    "commit-delay": { type: "string", default: "0" },
  },
});
const DEVICES = Number(values.devices);
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const databases = values.postgres ? ["postgres"] : values.db === "both" ? ["sqlite", "postgres"] : [values.db];

const anchorMsPerVerify = bareVerifyMsCpu(2);

const rows: Array<{ database: string; commits: number | undefined; trips: number | undefined } & FleetResult> = [];
for (const database of databases) {
  const hub = await startBenchHub({
    postgres: database === "postgres",
    sync: values.sync === "normal" ? "normal" : "full",
    commitDelayMs: Number(values["commit-delay"]),
  });
  try {
    const specs = await hub.addDevices(DEVICES, "dev-bench");
    const c0 = hub.dbCommits();
    const t0 = hub.dbRoundTrips();
    const run = await runFleet(hub, specs, { clients: CLIENTS, mode: "loop", seconds: SECONDS });
    rows.push({
      database,
      commits: c0 === undefined ? undefined : hub.dbCommits()! - c0,
      trips: t0 === undefined ? undefined : hub.dbRoundTrips()! - t0,
      ...run,
    });
  } finally {
    await hub.close();
  }
}

const load = loadavg().map((l) => l.toFixed(2));
console.log(
  `\nhub attestation cycles: ${DEVICES} devices in ${CLIENTS} client process(es), ${SECONDS} s, sync=${values.sync}, commit delay ${values["commit-delay"]} ms; ` +
    `load average ${load.join(" / ")}`,
);
console.table(
  rows.map((r) => ({
    database: r.database,
    cycles: r.cycles,
    failures: r.failures,
    shed: r.shed,
    "cycles/s": Math.round(r.cyclesPerSec),
    "p50 ms": r.p50Ms.toFixed(1),
    "p99 ms": r.p99Ms.toFixed(1),
    "hub CPU s": r.hubCpuSeconds.toFixed(2),
    "hub ms CPU/cycle": r.hubCpuMsPerCycle.toFixed(2),
    "db COMMITs/cycle": r.commits === undefined ? "n/a" : (r.commits / r.cycles).toFixed(2),
    "pg round trips/cycle": r.trips === undefined ? "n/a" : (r.trips / r.cycles).toFixed(2),
    "clients CPU s": r.clientCpuSeconds.toFixed(2),
    "hub peak RSS MiB": Math.round(r.hubPeakRssMiB),
    "anchor: bare verify ms CPU": anchorMsPerVerify.toFixed(3),
    "ratio hub/verify": (r.hubCpuMsPerCycle / anchorMsPerVerify).toFixed(1),
  })),
);
for (const r of rows) if (r.failures > 0) console.log(`${r.database} failures:`, r.errors);
const result = {
  devices: DEVICES,
  clients: CLIENTS,
  seconds: SECONDS,
  sync: values.sync,
  anchorMsPerVerify,
  rows,
  loadavg: loadavg(),
};
mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
writeFileSync(new URL("./out/hub-attest.json", import.meta.url), JSON.stringify(result, null, 2));
