/**
 * Shared by the swtpm tests. They never skip: where swtpm is missing, startSwtpm fails and says to run setup, so a
 * missing install step fails CI instead of hiding.
 */
import type { Swtpm } from "@edgeward/testkit";
import { Tpm2ToolsDevice } from "@edgeward/tpm";

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
