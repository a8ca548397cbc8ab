/**
 * Shared by the agent's tests: a real TPM (swtpm + tpm2-tools) per suite, and the scan that proves no plaintext
 * model fragment and no inference input reached the disk.
 */
import { after, before } from "node:test";
import { readdirSync, readFileSync, lstatSync } from "node:fs";
import { join } from "node:path";
import { startSwtpm, tempDir, type StartSwtpmOptions, type Swtpm } from "@edgeward/testkit";
import { Tpm2ToolsDevice } from "@edgeward/tpm";
import { provisionDevice, stateLayout, type StateLayout } from "@edgeward/agent";

/** The tpm2-tools device for `tpm`. */
export function deviceFor(tpm: Swtpm): Tpm2ToolsDevice {
  return new Tpm2ToolsDevice({ tcti: tpm.tcti });
}

/** Generous per-suite timeout for a loaded two-core machine. */
export const SLOW = { timeout: 180_000 };

/** Every regular file under `dir`, recursively (symbolic links are not followed). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/**
 * The files under `dirs` that contain any `window`-byte fragment of `secret` (every fragment starting at a multiple of
 * `window / 2`, so any copy of `window * 1.5` bytes or more is found), or `secret` whole when it is shorter.
 */
export function filesHolding(dirs: readonly string[], secret: Uint8Array, window = 64): string[] {
  const probes: Buffer[] = [];
  const s = Buffer.from(secret);
  if (s.length <= window) probes.push(s);
  else for (let i = 0; i + window <= s.length; i += window / 2) probes.push(s.subarray(i, i + window));
  const hits: string[] = [];
  for (const dir of dirs)
    for (const file of filesUnder(dir)) {
      const bytes = readFileSync(file);
      if (probes.some((p) => bytes.includes(p))) hits.push(file);
    }
  return hits;
}

/** A swtpm with a provisioned agent state directory in a temporary directory; `stop()` removes both. */
export interface ProvisionedDevice {
  readonly tpm: Swtpm;
  readonly dir: string;
  readonly layout: StateLayout;
  stop(): Promise<void>;
}

/** Starts a swtpm and provisions a device's keys in `DIR/state`. */
export async function provisionedDevice(options: StartSwtpmOptions = {}): Promise<ProvisionedDevice> {
  const tpm = await startSwtpm(options);
  const dir = tempDir("edgeward-agent-");
  const layout = stateLayout(join(dir.path, "state"));
  await provisionDevice(deviceFor(tpm), layout);
  return {
    tpm,
    dir: dir.path,
    layout,
    async stop() {
      await tpm.stop();
      dir[Symbol.dispose]();
    },
  };
}

/** Registers before/after hooks in the enclosing suite that start and stop a {@link provisionedDevice}. */
export function useProvisionedDevice(options: StartSwtpmOptions = {}): { readonly device: ProvisionedDevice } {
  let device: ProvisionedDevice | undefined;
  before(async () => {
    device = await provisionedDevice(options);
  });
  after(() => device?.stop());
  return {
    get device(): ProvisionedDevice {
      if (device === undefined) throw new Error("the device is not started yet");
      return device;
    },
  };
}
