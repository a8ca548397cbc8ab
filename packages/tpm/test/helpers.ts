/** Shared by the swtpm tests: skip cleanly where swtpm is absent, and a device for a running swtpm. */
import { swtpmAvailable, type Swtpm } from "@edgeward/testkit";
import { Tpm2ToolsDevice } from "@edgeward/tpm";

/** `describe(..., { skip })` value: false where swtpm runs, else the reason. */
export const skipWithoutSwtpm: false | string = swtpmAvailable() ? false : "swtpm and tpm2-tools are not installed";

/** The tpm2-tools device for `tpm`. */
export function deviceFor(tpm: Swtpm): Tpm2ToolsDevice {
  return new Tpm2ToolsDevice({ tcti: tpm.tcti });
}

/** Generous per-test timeout for a loaded two-core machine. */
export const SLOW = { timeout: 120_000 };

/** A copy of `value` with every byte array as hex, so Buffer and Uint8Array compare equal. */
export function hexed(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  if (Array.isArray(value)) return value.map(hexed);
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hexed(v)]));
  return value;
}
