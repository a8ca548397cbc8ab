// Benchmark: inclusion proofs on a large log (target: generation at most 1 ms at 1,000,000 entries; verification
// at least 10,000/s on one core). Builds a SQLite log of --size entries through DurableLog, then times proof
// generation from the stored node hashes for random indices, and proof verification (RFC 9162 §2.1.3.2) in a
// loop on this one thread. Anchors measured in the same run: one primary-key SELECT on the same database (the
// floor for anything read from storage) and the SHA-256 calls a proof's verification needs, done bare.
//
//   node bench/tlog-proof.ts [--size 1000000] [--samples 2000]
//
// Writes bench/out/tlog-proof.json.
import { hash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  DurableLog,
  LogReader,
  generateNoteKey,
  verifyInclusion,
  verifyTlogProof,
  type InclusionProof,
} from "@edgeward/tlog";
import { SqliteStore } from "@edgeward/tlog/sqlite";

const { values } = parseArgs({
  options: { size: { type: "string", default: "1000000" }, samples: { type: "string", default: "2000" } },
});
const size = Number(values.size);
const samples = Number(values.samples);
const entry = (i: number): Uint8Array =>
  Buffer.from(
    `{"actor":"hub","details":{"seq":${i}},"kind":"key.release","subject":"device-${i % 997}","time":"2026-05-01T12:00:00.000Z"}`,
  );

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const random = (n: number): number => Math.floor(Math.random() * n);

const dir = mkdtempSync(join(tmpdir(), "edgeward-tlog-proof-"));
try {
  const path = join(dir, "log.db");
  const { signer } = generateNoteKey("bench.example/proofs");
  // Build: the build's durability setting does not matter for what is measured, so it uses synchronous=NORMAL.
  let t = performance.now();
  const log = await DurableLog.create(
    new SqliteStore(path, { synchronous: "normal" }),
    { origin: "bench.example/proofs", signer },
    { maxBatch: 65536 },
  );
  for (let at = 0; at < size; at += 65536)
    await log.appendAll(Array.from({ length: Math.min(65536, size - at) }, (_, k) => entry(at + k)));
  await log.close();
  const buildSeconds = (performance.now() - t) / 1000;
  console.log(
    `built ${size} entries in ${buildSeconds.toFixed(1)} s (${Math.round(size / buildSeconds)} entries/s, synchronous=NORMAL)`,
  );

  const reader = await LogReader.open(new SqliteStore(path, { mustExist: true }));
  const cp = await reader.checkpoint();

  // Anchor: one primary-key lookup on the same database.
  const db = new DatabaseSync(path, { readOnly: true });
  const get = db.prepare("SELECT data FROM tlog_entries WHERE idx = ?");
  const anchorMs: number[] = [];
  for (let i = 0; i < samples; i++) {
    t = performance.now();
    get.get(random(size));
    anchorMs.push(performance.now() - t);
  }
  db.close();

  // Generation: a proof for a random entry in the latest tree, hashes read from the stored nodes.
  const genMs: number[] = [];
  const proofs: InclusionProof[] = [];
  for (let i = 0; i < 200; i++) await reader.inclusionProof(random(size), cp.size); // warm-up
  for (let i = 0; i < samples; i++) {
    const index = random(size);
    t = performance.now();
    const p = await reader.inclusionProof(index, cp.size);
    genMs.push(performance.now() - t);
    if (proofs.length < 1000) proofs.push(p);
  }

  // Verification on this thread: RFC 9162 §2.1.3.2 over each proof, against the checkpoint's root.
  let verified = 0;
  t = performance.now();
  while (performance.now() - t < 2000)
    for (const p of proofs) {
      verifyInclusion(p.leafHash, p.index, p.treeSize, p.proof, cp.root);
      verified++;
    }
  const verifyPerSecond = verified / ((performance.now() - t) / 1000);

  // Anchor: the same number of bare SHA-256 calls over 65-byte inputs.
  const depth = proofs[0]!.proof.length;
  const buf = Buffer.alloc(65, 1);
  let hashed = 0;
  t = performance.now();
  while (performance.now() - t < 1000) {
    for (let k = 0; k < depth; k++) Buffer.from(hash("sha256", buf, "hex"), "hex");
    hashed++;
  }
  const bareHashPerSecond = hashed / ((performance.now() - t) / 1000);

  // Whole tlog-proof bundles, as a device checks them offline: signature, then inclusion.
  const bundles = await Promise.all(
    proofs.slice(0, 100).map(async (p) => ({ text: await reader.proofBundle(p.index), index: p.index })),
  );
  let bundled = 0;
  t = performance.now();
  while (performance.now() - t < 1000)
    for (const b of bundles) {
      verifyTlogProof(b.text, entry(b.index), { logKey: signer.vkey });
      bundled++;
    }
  const bundlePerSecond = bundled / ((performance.now() - t) / 1000);
  await reader.store.close();

  const result = {
    size,
    samples,
    buildSeconds,
    proofLength: depth,
    generation: {
      medianMs: median(genMs),
      p99Ms: percentile(genMs, 99),
      targetMs: 1,
      anchorSelectMedianMs: median(anchorMs),
      ratioToAnchor: median(genMs) / median(anchorMs),
    },
    verification: {
      perSecond: Math.round(verifyPerSecond),
      target: 10_000,
      anchorBareHashesPerSecond: Math.round(bareHashPerSecond),
      ratioToAnchor: verifyPerSecond / bareHashPerSecond,
      bundlesWithSignaturePerSecond: Math.round(bundlePerSecond),
    },
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  console.log(
    `generation at ${size}: median ${result.generation.medianMs.toFixed(3)} ms, p99 ${result.generation.p99Ms.toFixed(3)} ms (target ≤ 1 ms); ` +
      `anchor SELECT ${result.generation.anchorSelectMedianMs.toFixed(4)} ms, ratio ${result.generation.ratioToAnchor.toFixed(1)}`,
  );
  console.log(
    `verification: ${result.verification.perSecond}/s on one core (target ≥ 10,000/s); bare hashing ${result.verification.anchorBareHashesPerSecond}/s, ratio ${result.verification.ratioToAnchor.toFixed(2)}; ` +
      `whole bundles with signature ${result.verification.bundlesWithSignaturePerSecond}/s`,
  );
  console.log(`peak RSS ${result.peakRssMiB.toFixed(0)} MiB`);
  const out = new URL("out/", import.meta.url);
  mkdirSync(out, { recursive: true });
  writeFileSync(new URL("tlog-proof.json", out), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
