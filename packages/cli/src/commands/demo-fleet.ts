/**
 * `edgeward demo --fleet`: the whole system on one machine (README "Quick start"): a hub, three agents on swtpm
 * devices, a real model published and served, inferences through an agent's API, then the attacks, each with its
 * code and the hub's view, the hub's log checkpoint, and a scan proving no plaintext model byte reached the disk.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { classifierPath, startFleet, type Fleet } from "../fleet/fleet-setup.ts";
import { agentCall, edgewardJson } from "../fleet/procs.ts";
import {
  bootChangeScenario,
  cloneScenario,
  logRewriteScenario,
  rollbackScenario,
  tamperScenario,
  type Outcome,
} from "../fleet/scenarios.ts";
import { scanForFragments } from "../fleet/scan.ts";
import { demoIncomplete, notShown } from "../fleet/verdict.ts";
import { printJson } from "../support/output.ts";
import type { EdgewardError } from "@edgeward/core";

/** Options of the fleet demo. */
export interface FleetDemoOptions {
  readonly keep?: boolean;
  readonly json?: boolean;
}

/** The classifier's input: one 48x192 RGB crop, a deterministic pattern in [-1, 1]. */
function inputData(): number[] {
  return Array.from({ length: 3 * 48 * 192 }, (_, i) => Math.fround(Math.sin(i / 37)));
}

function classifierInput(): string {
  return JSON.stringify({ x: { type: "float32", dims: [1, 3, 48, 192], data: inputData() } });
}

/** Runs the fleet demo; exits non-zero when a scenario was not shown or the scan found plaintext. */
export async function runFleetDemo(opts: FleetDemoOptions): Promise<void> {
  const say = opts.json ? () => undefined : (line: string) => process.stdout.write(`${line}\n`);
  const steps: { step: string; ms: number }[] = [];
  const step = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    say(`-> ${label}`);
    const r = await fn();
    const ms = performance.now() - t0;
    steps.push({ step: label, ms });
    say(`   done in ${(ms / 1000).toFixed(1)} s`);
    return r;
  };
  const dir = await mkdtemp(join(tmpdir(), "edgeward-fleet-"));
  let fleet: Fleet | undefined;
  let report: Record<string, unknown> | undefined;
  let failure: EdgewardError | undefined;
  try {
    say(`Edgeward fleet demo — working in ${dir}\n`);
    const model = await readFile(classifierPath());
    say(`Model: PP-OCR v2 direction classifier (${(model.length / 1e3).toFixed(0)} kB)\n`);
    fleet = await startFleet(dir, step, model);
    const [a, b, c] = fleet.devices as [Fleet["devices"][0], Fleet["devices"][0], Fleet["devices"][0]];
    const input = classifierInput();
    const inferences = await step("POST /v1/infer on every agent", async () => {
      const out: { device: string; model: unknown; ms: number; outputs: unknown }[] = [];
      for (const d of fleet!.devices) {
        const t0 = performance.now();
        const r = await agentCall(d.socket, "/v1/infer", input);
        if (r.status !== 200) throw new Error(`inference on ${d.name}: ${JSON.stringify(r.json)}`);
        out.push({ device: d.name, model: r.json["model"], ms: performance.now() - t0, outputs: r.json["outputs"] });
      }
      return out;
    });
    for (const i of inferences) say(`   ${i.device}: ${JSON.stringify(i.model)} in ${i.ms.toFixed(0)} ms`);
    const outcomes: Outcome[] = [];
    const show = async (label: string, fn: () => Promise<Outcome>) => {
      const o = await step(label, fn).catch((err: unknown): Outcome => notShown(label, err));
      outcomes.push(o);
      say(`   ${o.code}  (hub: ${o.hub})`);
    };
    await show("clone A's state dir onto B", () => cloneScenario(fleet!, a, b));
    await show("boot change on C (PCR 7 extended)", () => bootChangeScenario(fleet!, c));
    await show("rollback to cls 1 on B", () => rollbackScenario(fleet!, b));
    await show("tamper on A (edgeward agent tamper)", () => tamperScenario(fleet!, a));
    await show("rewrite B's device log", () => logRewriteScenario(fleet!, b));
    const checkpoint = await edgewardJson<{ checkpoint: string }>(["hub", "log", "checkpoint", ...fleet.admin]);
    for (const d of fleet.devices) await d.agent?.stop();
    // Everything the hub, the agents and the TPMs wrote (the publisher's own copy of the model is not theirs).
    const written = [fleet.hubDir, join(dir, "clone-of-A"), ...fleet.devices.flatMap((d) => [d.state, d.tpm.dir])];
    const raw = Buffer.from(Float32Array.from(inputData()).buffer);
    const scan = await step("scan every file the hub, agents and TPMs wrote for 64-byte fragments", () =>
      Promise.resolve({ model: scanForFragments(written, model), input: scanForFragments(written, raw) }),
    );
    say("\nWhat happened");
    for (const o of outcomes) say(`   ${o.scenario.padEnd(30)} ${o.code.padEnd(34)} hub: ${o.hub}`);
    say(`\nHub log checkpoint:\n${checkpoint.checkpoint.replace(/^/gm, "   ")}`);
    const hits = [...scan.model.hits, ...scan.input.hits];
    say(
      `Disk scan: ${scan.model.files} files, ${(scan.model.bytes / 1e6).toFixed(1)} MB: ` +
        (hits.length === 0
          ? "no 64-byte fragment of the model or of the inference input"
          : `PLAINTEXT IN ${hits.join(", ")}`),
    );
    if (opts.json) report = { inferences, outcomes, checkpoint: checkpoint.checkpoint, scan, steps, dir };
    failure = demoIncomplete(outcomes, hits);
  } finally {
    await fleet?.close();
    if (!opts.keep) await rm(dir, { recursive: true, force: true });
  }
  // Printed after the clean-up, so the report can name what was removed.
  if (report !== undefined) printJson({ ...report, tpmDirs: fleet?.devices.map((d) => d.tpm.dir) ?? [] });
  if (failure !== undefined) throw failure;
}
