// Mutation fuzzing of sealed files: at least 10,000 random mutations (bit flips, byte inserts and deletes,
// truncations and extensions, overwritten ranges, header-line edits, chunk swaps, duplicates, drops and
// splices from other files) of small files sealed to every recipient type. No mutation may be accepted: every
// open must throw an EdgewardError, never return plaintext, never throw anything else.
//
// The PRNG is seeded; the seed is printed. Reproduce a failure with EDGEWARD_FUZZ_SEED=<seed>.
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { seededRandom, tempDir } from "@edgeward/testkit";
import { isEdgewardError } from "../../src/errors/index.ts";
import { parseHeader } from "../../src/age/header.ts";
import { generateIdentity, parseIdentities } from "../../src/age/identities.ts";
import { openStream, openToMemory } from "../../src/age/open.ts";
import { parseRecipient } from "../../src/age/recipients.ts";
import { sealStream } from "../../src/age/seal.ts";
import type { AgeIdentity } from "../../src/age/types.ts";

const SEED = Number(process.env["EDGEWARD_FUZZ_SEED"] ?? randomInt(2 ** 32));
const MEMORY_RUNS = 10_000;
const STREAM_RUNS = 1_000;
const FILE_RUNS = 200;
const CHUNK = 65536 + 16;

interface Sample {
  readonly name: string;
  readonly bytes: Buffer;
  readonly payloadOffset: number;
}

async function seal(plaintext: Uint8Array, recipients: string[]): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of sealStream([plaintext], recipients.map(parseRecipient))) parts.push(part);
  return Buffer.concat(parts);
}

/** One random mutation of `sample`; returns the mutated bytes and a description for the failure message. */
function mutate(rand: () => number, sample: Sample, others: readonly Sample[]): [Buffer, string] {
  const int = (n: number): number => Math.floor(rand() * n);
  const src = sample.bytes;
  // Half the positions land in the header, which is small next to the payload but where the parsing is.
  const pos = (): number => (rand() < 0.5 ? int(sample.payloadOffset) : int(src.length));
  const kind = int(11);
  switch (kind) {
    case 0: {
      const out = Buffer.from(src);
      const p = pos();
      const bit = int(8);
      out[p] = (out[p] ?? 0) ^ (1 << bit);
      return [out, `flip bit ${bit} at ${p}`];
    }
    case 1: {
      const out = Buffer.from(src);
      const n = 2 + int(7);
      for (let i = 0; i < n; i++) {
        const p = pos();
        out[p] = (out[p] ?? 0) ^ (1 << int(8));
      }
      return [out, `flip ${n} bits`];
    }
    case 2: {
      const p = pos();
      return [Buffer.concat([src.subarray(0, p), Buffer.of(int(256)), src.subarray(p)]), `insert a byte at ${p}`];
    }
    case 3: {
      const p = pos();
      return [Buffer.concat([src.subarray(0, p), src.subarray(p + 1)]), `delete the byte at ${p}`];
    }
    case 4: {
      const n = int(src.length);
      return [src.subarray(0, n), `truncate to ${n}`];
    }
    case 5: {
      const n = 1 + int(100);
      return [Buffer.concat([src, Buffer.from(Array.from({ length: n }, () => int(256)))]), `append ${n} bytes`];
    }
    case 6: {
      const out = Buffer.from(src);
      const p = pos();
      const n = 1 + int(64);
      for (let i = p; i < Math.min(out.length, p + n); i++) out[i] = int(256);
      return [out, `overwrite ${n} bytes at ${p}`];
    }
    case 7: {
      // Header-line edits: duplicate, drop or swap lines of the header.
      const header = src.subarray(0, sample.payloadOffset).toString("latin1").split("\n").slice(0, -1);
      const i = int(header.length);
      const j = int(header.length);
      const lines = [...header];
      const op = int(3);
      if (op === 0) lines.splice(i, 0, header[i] ?? "");
      else if (op === 1) lines.splice(i, 1);
      else [lines[i], lines[j]] = [lines[j] ?? "", lines[i] ?? ""];
      const edited = Buffer.from(lines.map((l) => `${l}\n`).join(""), "latin1");
      return [Buffer.concat([edited, src.subarray(sample.payloadOffset)]), `header line op ${op} on ${i},${j}`];
    }
    case 8: {
      // Chunk-level edits of the payload: swap two chunks, duplicate one, or drop one.
      const start = sample.payloadOffset + 16;
      const chunks: Buffer[] = [];
      for (let p = start; p < src.length; p += CHUNK) chunks.push(src.subarray(p, p + CHUNK));
      const i = int(chunks.length);
      const j = int(chunks.length);
      const op = chunks.length > 1 ? int(3) : 1 + int(2);
      if (op === 0) [chunks[i], chunks[j]] = [chunks[j] ?? Buffer.alloc(0), chunks[i] ?? Buffer.alloc(0)];
      else if (op === 1) chunks.splice(i, 0, chunks[i] ?? Buffer.alloc(0));
      else chunks.splice(i, 1);
      return [Buffer.concat([src.subarray(0, start), ...chunks]), `chunk op ${op} on ${i},${j}`];
    }
    case 9: {
      // Splice another sealed file's header, nonce or chunk in (same identities, other file keys and nonces).
      const other = others[int(others.length)] ?? sample;
      const op = int(3);
      if (op === 0)
        return [
          Buffer.concat([other.bytes.subarray(0, other.payloadOffset), src.subarray(sample.payloadOffset)]),
          `header of ${other.name}`,
        ];
      if (op === 1) {
        const nonce = other.bytes.subarray(other.payloadOffset, other.payloadOffset + 16);
        return [
          Buffer.concat([src.subarray(0, sample.payloadOffset), nonce, src.subarray(sample.payloadOffset + 16)]),
          `nonce of ${other.name}`,
        ];
      }
      const chunk = other.bytes.subarray(other.payloadOffset + 16, other.payloadOffset + 16 + CHUNK);
      const at = sample.payloadOffset + 16 + CHUNK * int(Math.ceil((src.length - sample.payloadOffset - 16) / CHUNK));
      return [
        Buffer.concat([src.subarray(0, at), chunk, src.subarray(at + chunk.length)]),
        `first chunk of ${other.name} at ${at}`,
      ];
    }
    default: {
      // Move a random range elsewhere (a splice within the file).
      const p = pos();
      const n = 1 + int(200);
      const piece = src.subarray(p, p + n);
      const rest = Buffer.concat([src.subarray(0, p), src.subarray(p + n)]);
      const q = int(rest.length + 1);
      return [Buffer.concat([rest.subarray(0, q), piece, rest.subarray(q)]), `move ${n} bytes from ${p} to ${q}`];
    }
  }
}

describe(`fuzzing sealed files (seed ${SEED}; rerun with EDGEWARD_FUZZ_SEED=${SEED})`, () => {
  it(`rejects every one of ${MEMORY_RUNS + STREAM_RUNS + FILE_RUNS} mutations with an EdgewardError`, async (t) => {
    t.diagnostic(`EDGEWARD_FUZZ_SEED=${SEED}`);
    const rand = seededRandom(SEED);
    const x = generateIdentity("x25519");
    const pq = generateIdentity("pq");
    const tag = generateIdentity("p256");
    const identities: AgeIdentity[] = parseIdentities([x, pq, tag].map((g) => g.identityText).join("\n"));
    const plain = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
    const samples: Sample[] = [];
    for (const [name, size, recipients] of [
      ["x25519-3KiB", 3 * 1024, [x.recipient]],
      ["x25519+tag-2-chunks", 65536 + 3000, [x.recipient, tag.recipient]],
      ["tag-3-chunks", 2 * 65536 + 5000, [tag.recipient]],
      ["pq-2-chunks", 65536 + 100, [pq.recipient]],
      ["x25519-full-chunk", 65536, [x.recipient]],
    ] as const) {
      const bytes = await seal(plain(size), [...recipients]);
      samples.push({ name, bytes, payloadOffset: parseHeader(bytes).payloadOffset });
    }
    for (const s of samples)
      assert.ok((await openToMemory(s.bytes, identities)).length > 0, `${s.name} must open unmutated`);

    const codes = new Map<string, number>();
    using dir = tempDir("edgeward-fuzz-");
    const path = join(dir.path, "m.age");
    for (let run = 0; run < MEMORY_RUNS + STREAM_RUNS + FILE_RUNS; run++) {
      const sample = samples[Math.floor(rand() * samples.length)] ?? samples[0];
      assert.ok(sample !== undefined);
      const [bytes, what] = mutate(rand, sample, samples);
      if (bytes.equals(sample.bytes)) continue;
      const where = run < MEMORY_RUNS ? "memory" : run < MEMORY_RUNS + STREAM_RUNS ? "stream" : "file";
      const context = `run ${run} (${where}), ${sample.name}: ${what}; EDGEWARD_FUZZ_SEED=${SEED}`;
      let accepted = false;
      try {
        if (where === "memory") await openToMemory(bytes, identities);
        else if (where === "stream") {
          const pieces: Uint8Array[] = [];
          for (let i = 0; i < bytes.length; i += 1 + Math.floor(rand() * 5000))
            pieces.push(bytes.subarray(i, i + 5000));
          for await (const _ of openStream(pieces, identities)) {
            // Drain: chunks before a failure may be yielded, but the iteration itself must throw.
          }
        } else {
          await writeFile(path, bytes);
          const handle = await open(path, "r");
          try {
            await openToMemory(handle, identities);
          } finally {
            await handle.close();
          }
        }
        accepted = true;
      } catch (err) {
        if (!isEdgewardError(err)) assert.fail(`${context}: threw a non-Edgeward error: ${String(err)}`);
        codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
      }
      assert.ok(!accepted, `${context}: the mutated file was accepted`);
    }
    t.diagnostic(`codes: ${JSON.stringify(Object.fromEntries([...codes].sort((a, b) => b[1] - a[1])))}`);
    assert.ok([...codes.values()].reduce((a, b) => a + b, 0) >= 10_000);
  });
});
