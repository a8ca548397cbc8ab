/**
 * The disk scan behind "no plaintext model byte and no inference input on disk" (ARCHITECTURE.md "Rules that hold
 * everywhere"): after a test, every file a component wrote is searched for fragments of the secret.
 */
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

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
 * The files under `dirs` that contain any `window`-byte fragment of `secret` (fragments start every `window / 2`
 * bytes, so any copy of `1.5 * window` bytes or more is found), or `secret` whole when it is not longer than that.
 */
export function filesHolding(dirs: readonly string[], secret: Uint8Array, window = 64): string[] {
  const probes: Buffer[] = [];
  const s = Buffer.from(secret);
  if (s.length <= window) probes.push(s);
  else for (let i = 0; i + window <= s.length; i += Math.max(1, window / 2)) probes.push(s.subarray(i, i + window));
  const hits: string[] = [];
  for (const dir of dirs)
    for (const file of filesUnder(dir)) {
      const bytes = readFileSync(file);
      if (probes.some((p) => bytes.includes(p))) hits.push(file);
    }
  return hits;
}
