// A client process of the hub benchmarks: it drives a slice of the simulated fleet (bench/hub-attest-sim.ts) over
// HTTPS with mTLS, so the hub's process and CPU time are the hub's alone. Forked by bench/lib/hub-bench-run.ts;
// talks to it over the IPC channel: "ready" once its devices are built, then "go", then one "done" with its numbers.
//
// Modes: "loop" — every device runs challenge → quote back to back on its own keep-alive connection until the end;
// "schedule" — every device attests once at a random offset within the first interval, then when the hub's answer
// says (`nextAttestAt`, which carries the hub's jitter), each time on a new TLS connection (two requests on it).
import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import type { DeviceSpec } from "./hub-bench-hub.ts";
import { BENCH_PCR_VALUES, SimulatedTpm } from "../hub-attest-sim.ts";

/** What the coordinator hands one client process (as a JSON file). */
export interface ClientJob {
  readonly port: number;
  readonly caPem: string;
  readonly keyPem: string;
  readonly devices: readonly DeviceSpec[];
  readonly mode: "loop" | "schedule";
  /** loop: how long to run. schedule: how long to keep scheduling new cycles. */
  readonly seconds: number;
  /** schedule: the first cycle of each device falls in [0, intervalMs). */
  readonly intervalMs: number;
}

/** What one client process reports. */
export interface ClientReport {
  readonly latenciesMs: number[];
  readonly failures: number;
  /** Cycles the hub shed (503/429 with Retry-After); the device came back when told, as an agent does. */
  readonly shed: number;
  /** Failures by their first line (status and code), counted. */
  readonly errors: Record<string, number>;
  readonly cpuSeconds: number;
  readonly peakRssMiB: number;
}

const PCRS_WIRE = {
  sha256: Object.fromEntries(Object.keys(BENCH_PCR_VALUES.sha256 ?? {}).map((i) => [i, "00".repeat(32)])),
};

interface Device {
  readonly spec: DeviceSpec;
  readonly tpm: SimulatedTpm;
  agent: Agent;
}

const job = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as ClientJob;
const devices: Device[] = job.devices.map((spec) => ({
  spec,
  tpm: new SimulatedTpm(
    BENCH_PCR_VALUES,
    createPrivateKey({ key: Buffer.from(spec.ak, "base64"), format: "der", type: "pkcs8" }),
  ),
  agent: newAgent(spec),
}));
const latencies: number[] = [];
const errors: Record<string, number> = {};
let failures = 0;
let shed = 0;

/** A 429/503 answer with a Retry-After (docs/hub.md "Overload"): come back after `ms`, plus up to 20 % jitter. */
class Shed extends Error {
  readonly ms: number;
  constructor(ms: number) {
    super(`shed, retry after ${ms} ms`);
    this.ms = ms;
  }
}

process.on("message", (m: { type: string; startAt: number }) => {
  if (m.type !== "go") return;
  setTimeout(() => void run(), Math.max(0, m.startAt - Date.now()));
});
process.send!({ type: "ready" });

async function run(): Promise<void> {
  const cpu0 = process.cpuUsage();
  const end = Date.now() + job.seconds * 1000;
  if (job.mode === "loop")
    await Promise.all(
      devices.map(async (d) => {
        while (Date.now() < end) {
          const next = await cycle(d);
          if (next instanceof Shed) await new Promise((r) => setTimeout(r, Math.min(next.ms, end - Date.now())));
        }
      }),
    );
  else await Promise.all(devices.map((d) => scheduled(d, end)));
  const cpu = process.cpuUsage(cpu0);
  for (const d of devices) d.agent.destroy();
  const report: ClientReport = {
    latenciesMs: latencies,
    failures,
    shed,
    errors,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  process.send!({ type: "done", report }, () => process.exit(0));
}

async function scheduled(d: Device, end: number): Promise<void> {
  let at = Date.now() + Math.random() * job.intervalMs;
  while (at < end) {
    await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
    d.agent = newAgent(d.spec);
    const next = await cycle(d);
    d.agent.destroy();
    // A failed cycle comes back after the interval, a shed one when the hub said, as an agent would.
    if (next instanceof Shed) at = Date.now() + next.ms;
    else at = next === undefined ? at + job.intervalMs : Math.max(Date.now(), Date.parse(next));
  }
}

/** One attestation cycle; returns the hub's nextAttestAt, a Shed, or undefined when the cycle failed. */
async function cycle(d: Device): Promise<string | Shed | undefined> {
  const t0 = performance.now();
  try {
    const ch = (await post(d, "/v1/device/attest/challenge", { deviceId: d.spec.id, banks: ["sha256"] })) as {
      nonce: string;
      pcrSelection: string;
    };
    const q = d.tpm.quote(ch.pcrSelection, Buffer.from(ch.nonce, "hex"));
    const r = (await post(d, "/v1/device/attest/quote", {
      deviceId: d.spec.id,
      nonce: ch.nonce,
      quote: {
        attest: Buffer.from(q.attest).toString("base64"),
        signature: Buffer.from(q.signature).toString("base64"),
      },
      pcrs: PCRS_WIRE,
    })) as { result: string; nextAttestAt: string };
    if (r.result !== "pass") throw new Error(`result ${r.result}`);
    latencies.push(performance.now() - t0);
    return r.nextAttestAt;
  } catch (err) {
    if (err instanceof Shed) {
      shed++;
      return err;
    }
    failures++;
    const key = (err instanceof Error ? err.message : String(err)).split("\n")[0]!.slice(0, 160);
    errors[key] = (errors[key] ?? 0) + 1;
    latencies.push(performance.now() - t0);
    return undefined;
  }
}

function newAgent(spec: DeviceSpec): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1, cert: spec.cert, key: job.keyPem, ca: job.caPem });
}

function post(d: Device, path: string, body: unknown): Promise<unknown> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: job.port,
        path,
        method: "POST",
        agent: d.agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const retry = Number(res.headers["retry-after"]);
          if ((res.statusCode === 503 || res.statusCode === 429) && Number.isInteger(retry) && retry >= 0)
            return reject(new Shed(Math.round(retry * 1000 * (1 + 0.2 * Math.random()))));
          if (res.statusCode !== 200) reject(new Error(`${path}: ${res.statusCode} ${text.slice(0, 120)}`));
          else resolve(JSON.parse(text));
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}
