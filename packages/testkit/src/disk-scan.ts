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

/** Bytes of a probe the index is keyed by; a probe shorter than this is searched for directly. */
const KEY_BYTES = 4;

/**
 * The files under `dirs` that contain any `window`-byte fragment of a secret (fragments start every `window / 2`
 * bytes, so any copy of `1.5 * window` bytes or more is found), or a secret whole when it is not longer than that.
 * Each fragment is indexed by its first four bytes and every offset of every file is looked up once, so the scan is
 * linear in the bytes read: a megabyte model has some 30,000 fragments.
 */
export function filesHolding(
  dirs: readonly string[],
  secrets: Uint8Array | readonly Uint8Array[],
  window = 64,
): string[] {
  const index = new Map<number, Buffer[]>();
  const short: Buffer[] = [];
  for (const secret of secrets instanceof Uint8Array ? [secrets] : secrets) {
    const s = Buffer.from(secret);
    const probes: Buffer[] = [];
    if (s.length <= window) probes.push(s);
    else for (let i = 0; i + window <= s.length; i += Math.max(1, window / 2)) probes.push(s.subarray(i, i + window));
    for (const p of probes) {
      if (p.length < KEY_BYTES) {
        short.push(p);
        continue;
      }
      const key = p.readUInt32LE(0);
      const list = index.get(key);
      if (list === undefined) index.set(key, [p]);
      else list.push(p);
    }
  }
  const hits: string[] = [];
  for (const dir of dirs)
    for (const file of filesUnder(dir)) if (holds(readFileSync(file), index, short)) hits.push(file);
  return hits;
}

function holds(bytes: Buffer, index: Map<number, Buffer[]>, short: readonly Buffer[]): boolean {
  if (short.some((p) => bytes.includes(p))) return true;
  for (let at = 0; at + KEY_BYTES <= bytes.length; at++) {
    const probes = index.get(bytes.readUInt32LE(at));
    if (probes?.some((p) => at + p.length <= bytes.length && bytes.compare(p, 0, p.length, at, at + p.length) === 0))
      return true;
  }
  return false;
}
