/**
 * The fleet demo's last check (ARCHITECTURE.md "Rules that hold everywhere": no plaintext model on disk): every
 * file under the hub's and the agents' directories is searched for any 64-byte fragment of the model. Fragments
 * start every 32 bytes, so any copy of 96 bytes or more is found; a 6-byte prefix index keeps it one pass per file.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const WINDOW = 64;
const KEY = 6;

/** Regular files under `dir`, at any depth (a symbolic link is neither followed nor read). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** The result of a scan: how many files and bytes were read, and the files holding a fragment. */
export interface ScanResult {
  readonly files: number;
  readonly bytes: number;
  readonly hits: string[];
}

/** Scans every regular file under `dirs` for 64-byte fragments of `secret` (longer than 64 bytes). */
export function scanForFragments(dirs: readonly string[], secret: Uint8Array): ScanResult {
  const s = Buffer.from(secret);
  const index = new Map<number, number[]>();
  for (let i = 0; i + WINDOW <= s.length; i += WINDOW / 2) {
    const k = s.readUIntBE(i, KEY);
    const list = index.get(k);
    if (list === undefined) index.set(k, [i]);
    else list.push(i);
  }
  let files = 0;
  let bytes = 0;
  const hits: string[] = [];
  for (const dir of dirs)
    for (const file of filesUnder(dir)) {
      const b = readFileSync(file);
      files += 1;
      bytes += b.length;
      if (holds(b, s, index)) hits.push(file);
    }
  return { files, bytes, hits };
}

function holds(b: Buffer, s: Buffer, index: Map<number, number[]>): boolean {
  for (let i = 0; i + WINDOW <= b.length; i++) {
    const offsets = index.get(b.readUIntBE(i, KEY));
    if (offsets === undefined) continue;
    for (const o of offsets) if (b.compare(s, o, o + WINDOW, i, i + WINDOW) === 0) return true;
  }
  return false;
}
