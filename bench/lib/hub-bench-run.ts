// Runs a simulated fleet against a benchmark hub from separate client processes (bench/lib/hub-bench-client.ts),
// and measures the hub's process (this one) apart from the clients: CPU seconds over the run, and peak RSS.
import { fork } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseTpm2bPublic, publicKeyOf, verifyQuote } from "@edgeward/core";
import { BENCH_PCRS, BENCH_PCR_VALUES, SimulatedTpm } from "../hub-attest-sim.ts";
import type { DeviceSpec } from "./hub-bench-hub.ts";
import type { ClientJob, ClientReport } from "./hub-bench-client.ts";

/** A run's numbers, hub and clients apart. */
export interface FleetResult {
  readonly cycles: number;
  readonly failures: number;
  /** Answers the hub shed (503/429 with Retry-After): the device came back when told; not failures. */
  readonly shed: number;
  readonly errors: Record<string, number>;
  readonly wallSeconds: number;
  readonly cyclesPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly hubCpuSeconds: number;
  /** Milliseconds of the hub's CPU per cycle. */
  readonly hubCpuMsPerCycle: number;
  readonly clientCpuSeconds: number;
  readonly hubPeakRssMiB: number;
  readonly clientPeakRssMiB: number;
}

/** Drives `specs` from `clients` processes (devices split evenly) and waits for all of them. */
export async function runFleet(
  hub: { port: number; caPem: string; clientKeyPem: string },
  specs: readonly DeviceSpec[],
  options: { clients: number; mode: ClientJob["mode"]; seconds: number; intervalMs?: number },
): Promise<FleetResult> {
  const dir = mkdtempSync(join(tmpdir(), "edgeward-bench-fleet-"));
  try {
    const children = Array.from({ length: options.clients }, (_, c) => {
      const job: ClientJob = {
        port: hub.port,
        caPem: hub.caPem,
        keyPem: hub.clientKeyPem,
        devices: specs.filter((_, i) => i % options.clients === c),
        mode: options.mode,
        seconds: options.seconds,
        intervalMs: options.intervalMs ?? 60_000,
      };
      const file = join(dir, `client-${c}.json`);
      writeFileSync(file, JSON.stringify(job));
      return fork(new URL("./hub-bench-client.ts", import.meta.url), [file], { stdio: "inherit", execArgv: [] });
    });
    const ready = children.map((child) => message(child, "ready"));
    await Promise.all(ready);
    const done = children.map((child) => message(child, "done"));
    const startAt = Date.now() + 100;
    for (const child of children) child.send({ type: "go", startAt });
    await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const reports = (await Promise.all(done)).map((m) => (m as { report: ClientReport }).report);
    const wallSeconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const latencies = reports.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
    const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    const errors: Record<string, number> = {};
    for (const r of reports) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    const hubCpuSeconds = (cpu.user + cpu.system) / 1e6;
    return {
      cycles: latencies.length,
      failures: reports.reduce((s, r) => s + r.failures, 0),
      shed: reports.reduce((s, r) => s + r.shed, 0),
      errors,
      wallSeconds,
      cyclesPerSec: latencies.length / wallSeconds,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: latencies.at(-1) ?? 0,
      hubCpuSeconds,
      hubCpuMsPerCycle: (1000 * hubCpuSeconds) / Math.max(1, latencies.length),
      clientCpuSeconds: reports.reduce((s, r) => s + r.cpuSeconds, 0),
      hubPeakRssMiB: process.resourceUsage().maxRSS / 1024,
      clientPeakRssMiB: Math.max(...reports.map((r) => r.peakRssMiB)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Resolves with the first message of `type` from `child`; rejects if it exits first. */
function message(child: ReturnType<typeof fork>, type: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type?: string }): void => {
      if (m.type !== type) return;
      child.off("message", onMessage);
      child.off("exit", onExit);
      resolve(m);
    };
    const onExit = (code: number | null): void => reject(new Error(`a client process exited with ${code}`));
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

/**
 * The anchor: milliseconds of CPU for one bare in-process quote verification (what bench/tpm-quote-verify.ts
 * measures), on the same kind of simulated quote, run for `seconds` in this process.
 */
export function bareVerifyMsCpu(seconds: number): number {
  const tpm = new SimulatedTpm(BENCH_PCR_VALUES);
  const nonce = new Uint8Array(32);
  const quote = tpm.quote(BENCH_PCRS, nonce);
  const key = publicKeyOf(parseTpm2bPublic(tpm.akPublic));
  let n = 0;
  const cpu0 = process.cpuUsage();
  const end = performance.now() + 1000 * seconds;
  while (performance.now() < end) {
    verifyQuote({
      message: quote.attest,
      signature: quote.signature,
      akPublicKey: key,
      nonce,
      pcrValues: BENCH_PCR_VALUES,
    });
    n++;
  }
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000 / n;
}
