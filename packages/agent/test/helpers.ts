/**
 * Shared by the agent's tests: a real TPM (swtpm + tpm2-tools) per suite with a provisioned state directory.
 */
import { after, before } from "node:test";
import { join } from "node:path";
import { startSwtpm, tempDir, type StartSwtpmOptions, type Swtpm } from "@edgeward/testkit";
import { Tpm2ToolsDevice, type TpmDevice } from "@edgeward/tpm";
import { provisionDevice, stateLayout, type StateLayout } from "@edgeward/agent";

/** The tpm2-tools device for `tpm`. */
export function deviceFor(tpm: Swtpm): Tpm2ToolsDevice {
  return new Tpm2ToolsDevice({ tcti: tpm.tcti });
}

/** Generous per-suite timeout for a loaded two-core machine. */
export const SLOW = { timeout: 180_000 };

export { filesHolding } from "@edgeward/testkit";

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

/** The real device `dev` with its NV counter reads counted in `reads` (a test sets it back to 0). */
export function countingReads(dev: TpmDevice): { device: TpmDevice; reads: number } {
  const out = { device: dev, reads: 0 };
  out.device = new Proxy(dev, {
    get(target, prop, receiver) {
      if (prop === "counterRead") return (index: number) => (out.reads++, target.counterRead(index));
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return out;
}
