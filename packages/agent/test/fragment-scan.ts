/**
 * testkit's disk scan (filesHolding) with the same rule, in time linear in the bytes scanned: the guard's models are
 * about 1 MiB each, so testing every one of their ~30,000 fragments against every file one by one takes minutes on
 * this machine. Here each fragment is indexed by its first 4 bytes and every offset of every file is looked up once.
 */
import { readFileSync } from "node:fs";
import { filesUnder } from "@edgeward/testkit";

/**
 * The files under `dirs` holding any `window`-byte fragment of a secret in `secrets`, fragments starting every
 * `window / 2` bytes of the secret (as filesHolding: any copy of 1.5 × window bytes or more is found).
 */
export function filesHoldingAny(dirs: readonly string[], secrets: readonly Uint8Array[], window = 64): string[] {
  const index = new Map<number, Buffer[]>();
  for (const secret of secrets) {
    const s = Buffer.from(secret);
    for (let i = 0; i + window <= s.length; i += window / 2) {
      const probe = s.subarray(i, i + window);
      const key = probe.readUInt32LE(0);
      index.set(key, [...(index.get(key) ?? []), probe]);
    }
  }
  const hits: string[] = [];
  for (const dir of dirs)
    for (const file of filesUnder(dir)) {
      const bytes = readFileSync(file);
      for (let at = 0; at + window <= bytes.length; at++) {
        const probes = index.get(bytes.readUInt32LE(at));
        if (probes?.some((p) => bytes.subarray(at, at + window).equals(p))) {
          hits.push(file);
          break;
        }
      }
    }
  return hits;
}
