/**
 * Shared by the agent's tests: a real TPM (swtpm + tpm2-tools) per suite, and the scan that proves no plaintext
 * model fragment and no inference input reached the disk.
 */
import { readdirSync, readFileSync, lstatSync } from "node:fs";
import { join } from "node:path";
import type { Swtpm } from "@edgeward/testkit";
import { Tpm2ToolsDevice } from "@edgeward/tpm";

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
