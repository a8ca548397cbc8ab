// Benchmark: a fleet held over time (the hub issue's "10,000 simulated devices enrolled, each attesting every minute,
// held for two minutes with no error"). Every device (bench/hub-attest-sim.ts, a software keystore) attests first
// at a random moment within its interval, then when the hub's answer says (nextAttestAt: the group's interval with
// the hub's ±10 % jitter), each time over a new mTLS connection — the harder case for the hub, one TLS handshake per
// cycle. Clients run in separate processes, so the hub's CPU and RSS are its own. Devices are put in the store as
// trusted rows with hub-issued certificates (bench/lib/hub-bench-hub.ts says why not through enrolment). At the end
// every device's attestation status as operators see it is counted: none may be `timeout` or `fail`. The anchor, in
// the same run: bare in-process verifyQuote, in ms of CPU, against the hub's CPU per cycle.
//
//   node bench/hub-soak.ts [--devices 10000] [--minutes 2] [--interval 60] [--clients 1] [--db sqlite|postgres|both]
//                          [--max-in-flight N] [--max-event-loop-delay MS]
//
// Shed answers (503/429 with Retry-After) are their own column: the device comes back when told, not an error.
// Exits 1 when any cycle failed or any device ended as timeout/fail. Writes bench/out/hub-soak.json.
import "reflect-metadata";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { startBenchHub } from "./lib/hub-bench-hub.ts";
import { bareVerifyMsCpu, runFleet, type FleetResult } from "./lib/hub-bench-run.ts";

const { values } = parseArgs({
  options: {
    devices: { type: "string", default: "10000" },
    minutes: { type: "string", default: "2" },
    // Seconds between a device's attestations (the group's attestIntervalMs).
    interval: { type: "string", default: "60" },
    clients: { type: "string", default: "1" },
    db: { type: "string", default: "sqlite" },
    // The hub's overload limits (docs/hub.md "Overload"); the hub's defaults when absent.
    "max-in-flight": { type: "string" },
    "max-event-loop-delay": { type: "string" },
  },
});
const DEVICES = Number(values.devices);
const MINUTES = Number(values.minutes);
const INTERVAL_MS = 1000 * Number(values.interval);
const CLIENTS = Number(values.clients);
const databases = values.db === "both" ? ["sqlite", "postgres"] : [values.db];

const anchorMsPerVerify = bareVerifyMsCpu(2);
interface Row extends FleetResult {
  database: string;
  setupSeconds: number;
  commits: number | undefined;
  status: Record<string, number>;
}
const rows: Row[] = [];
for (const database of databases) {
  const hub = await startBenchHub({
    postgres: database === "postgres",
    overload: {
      ...(values["max-in-flight"] === undefined ? {} : { maxInFlight: Number(values["max-in-flight"]) }),
      ...(values["max-event-loop-delay"] === undefined
        ? {}
        : { maxEventLoopDelayMs: Number(values["max-event-loop-delay"]) }),
    },
  });
  try {
    const t0 = performance.now();
    const specs = await hub.addDevices(DEVICES, "dev-soak", INTERVAL_MS);
    const setupSeconds = (performance.now() - t0) / 1000;
    const c0 = hub.dbCommits();
    const run = await runFleet(hub, specs, {
      clients: CLIENTS,
      mode: "schedule",
      seconds: MINUTES * 60,
      intervalMs: INTERVAL_MS,
    });
    const commits = c0 === undefined ? undefined : hub.dbCommits()! - c0;
    rows.push({ database, setupSeconds, commits, status: await hub.statusCounts(), ...run });
  } finally {
    await hub.close();
  }
}

const load = loadavg().map((l) => l.toFixed(2));
console.log(
  `\nhub soak: ${DEVICES} devices, each attesting every ${INTERVAL_MS / 1000} s (±10 % jitter), held ${MINUTES} min, ` +
    `${CLIENTS} client process(es); load average ${load.join(" / ")}`,
);
console.table(
  rows.map((r) => ({
    database: r.database,
    "devices in store (s)": r.setupSeconds.toFixed(1),
    cycles: r.cycles,
    errors: r.failures,
    shed: r.shed,
    "cycles/s": r.cyclesPerSec.toFixed(1),
    "p50 ms": r.p50Ms.toFixed(1),
    "p99 ms": r.p99Ms.toFixed(1),
    "max ms": r.maxMs.toFixed(0),
    "hub CPU s": r.hubCpuSeconds.toFixed(2),
    "hub ms CPU/cycle": r.hubCpuMsPerCycle.toFixed(2),
    "db COMMITs/cycle": r.commits === undefined ? "n/a" : (r.commits / r.cycles).toFixed(2),
    "clients CPU s": r.clientCpuSeconds.toFixed(2),
    "hub peak RSS MiB": Math.round(r.hubPeakRssMiB),
    "clients peak RSS MiB": Math.round(r.clientPeakRssMiB),
    "status at end": Object.entries(r.status)
      .map(([k, v]) => `${k} ${v}`)
      .join(", "),
    "anchor: bare verify ms CPU": anchorMsPerVerify.toFixed(3),
  })),
);
let bad = false;
for (const r of rows) {
  if (r.failures > 0) console.log(`${r.database} errors:`, r.errors);
  if (r.failures > 0 || (r.status["timeout"] ?? 0) > 0 || (r.status["fail"] ?? 0) > 0) bad = true;
}
const result = {
  devices: DEVICES,
  minutes: MINUTES,
  intervalMs: INTERVAL_MS,
  clients: CLIENTS,
  anchorMsPerVerify,
  rows,
  loadavg: loadavg(),
};
mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
writeFileSync(new URL("./out/hub-soak.json", import.meta.url), JSON.stringify(result, null, 2));
if (bad) process.exitCode = 1;
