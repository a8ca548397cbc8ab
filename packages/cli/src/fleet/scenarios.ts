/**
 * The fleet demo's attacks (ARCHITECTURE.md promises 5, 6, 7, 9, 10): each runs against the live fleet and
 * reports the code the device or hub answered with and the hub's view of the device afterwards. A scenario that
 * does not produce its refusal is reported as such, never papered over.
 */
import { cp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Fleet, FleetDevice } from "./fleet-setup.ts";
import { agentCall, edgeward, edgewardJson, startDaemon, waitFor } from "./procs.ts";

/** What one scenario showed. */
export interface Outcome {
  readonly scenario: string;
  readonly device: string;
  /** The EW_ERR_* code of the refusal, or "not shown". */
  readonly code: string;
  /** The hub's view of the device afterwards (its state), or why the scenario was not shown. */
  readonly hub: string;
}

/** The hub's record of a device (`edgeward hub devices show`). */
interface DeviceView {
  readonly state: string;
}

async function hubView(f: Fleet, d: FleetDevice): Promise<DeviceView> {
  return edgewardJson<DeviceView>(["hub", "devices", "show", d.deviceId, ...f.admin]);
}

async function hubState(f: Fleet, d: FleetDevice): Promise<string> {
  return `${d.name} ${(await hubView(f, d)).state}`;
}

/** Waits until the hub holds the device in `want`; returns the hub's view then (or at the deadline). */
async function waitHubState(f: Fleet, d: FleetDevice, want: string, ms: number): Promise<DeviceView> {
  const got = await waitFor(async () => {
    const v = await hubView(f, d);
    return v.state === want ? v : undefined;
  }, ms);
  return got ?? (await hubView(f, d));
}

/** The hub's view after a quarantine: its state and the logged reason; the code is that reason. */
async function quarantined(f: Fleet, d: FleetDevice, ms: number): Promise<{ code: string; hub: string }> {
  const view = await waitHubState(f, d, "quarantined", ms);
  if (view.state !== "quarantined") return { code: "not shown", hub: `${d.name} ${view.state}` };
  const entry = await f.record.quarantine(d.deviceId);
  if (entry === undefined) return { code: "not shown", hub: `${d.name} quarantined, no log entry found` };
  return { code: entry.reason, hub: `${d.name} quarantined (hub log #${entry.index} device.quarantine)` };
}

async function lastError(d: FleetDevice, ms: number): Promise<string | undefined> {
  return waitFor(async () => {
    const s = await edgewardJson<{ runtime?: { lastError?: { code: string } } }>([
      ...["agent", "--tcti", d.tpm.tcti, "status", "--state", d.state, "--json"],
    ]);
    return s.runtime?.lastError?.code;
  }, ms);
}

/** Device A's state directory copied onto device B: B's TPM cannot load A's keys. */
export async function cloneScenario(f: Fleet, a: FleetDevice, b: FleetDevice): Promise<Outcome> {
  const clone = join(f.dir, `clone-of-${a.name}`);
  // A is running: a file it replaces by rename may vanish mid-copy, so the copy is retried as a thief would.
  for (let attempt = 1; ; attempt++)
    try {
      await rm(clone, { recursive: true, force: true });
      await cp(a.state, clone, { recursive: true });
      break;
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  const r = await edgeward([
    ...["agent", "--tcti", b.tpm.tcti, "run", "--state", clone, "--listen", `unix:${join(f.dir, "clone.sock")}`],
    ...["--config", f.config],
  ]);
  const code = r.status !== 0 && r.code !== undefined ? r.code : "not shown";
  if (code === "not shown")
    return { scenario: `clone of ${a.name}'s disk on ${b.name}`, device: b.name, code, hub: r.stderr.slice(-300) };
  return { scenario: `clone of ${a.name}'s disk on ${b.name}`, device: b.name, code, hub: await hubState(f, a) };
}

/** Device C's boot state changes (PCR 7 extended, as a new bootloader would): its key and attestation fail. */
export async function bootChangeScenario(f: Fleet, c: FleetDevice): Promise<Outcome> {
  await edgewardJson(["tpm", "--tcti", c.tpm.tcti, "extend", "--pcr", "7", "--data", "unsigned bootloader", "--json"]);
  // The refusal is the hub's: the quote no longer matches the learned boot state.
  const { code, hub } = await quarantined(f, c, 15_000);
  const device = (await lastError(c, 5_000)) ?? "none";
  return { scenario: `boot change on ${c.name}`, device: c.name, code, hub: `${hub}; agent: ${device}` };
}

/** The agent tracks cls/1 after cls/2: the TPM NV floor refuses the older release. */
export async function rollbackScenario(f: Fleet, d: FleetDevice): Promise<Outcome> {
  const code = (await lastError(d, 15_000)) ?? "not shown";
  const served = await agentCall(d.socket, "/healthz");
  const model = JSON.stringify(served.json["model"] ?? null);
  return {
    scenario: `rollback to cls 1 on ${d.name}`,
    device: d.name,
    code,
    hub: `${await hubState(f, d)}, still serving ${model}`,
  };
}

/** A manual tamper trigger on A: the model zeroized, serving refused, the hub quarantines A. */
export async function tamperScenario(f: Fleet, a: FleetDevice): Promise<Outcome> {
  const { timings } = await edgewardJson<{ timings: { doneMs: number } }>([
    ...["agent", "--tcti", a.tpm.tcti, "tamper", "--state", a.state, "--json"],
  ]);
  const health = await waitFor(async () => {
    const h = await agentCall(a.socket, "/healthz");
    return h.status === 503 ? h : undefined;
  }, 5_000);
  const { code: reason, hub } = await quarantined(f, a, 10_000);
  const code = typeof health?.json["code"] === "string" ? health.json["code"] : "not shown";
  return {
    scenario: `tamper on ${a.name}`,
    device: a.name,
    code,
    hub: `${hub}: ${reason}; response in ${timings.doneMs.toFixed(0)} ms`,
  };
}

/** B's device log replaced by a fresh one (history rewritten): the hub's consistency check fails. */
export async function logRewriteScenario(f: Fleet, b: FleetDevice): Promise<Outcome> {
  await b.agent?.stop();
  await rm(join(b.state, "log"), { recursive: true, force: true });
  b.agent = await startDaemon(
    [
      ...["agent", "--tcti", b.tpm.tcti, "run", "--state", b.state, "--listen", `unix:${b.socket}`],
      ...["--config", f.config],
    ],
    /listening on|EW_ERR_/,
  );
  // The refusal is the hub's: the new checkpoint has no consistency proof from the one it holds.
  const { code, hub } = await quarantined(f, b, 20_000);
  return { scenario: `log rewrite on ${b.name}`, device: b.name, code, hub };
}
