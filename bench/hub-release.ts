// Benchmark: the hub's release path. (1) Key release: the releases service's re-wrap of an escrowed file key to a
// device's age1tag1 recipient plus the release's inclusion proof, against two anchors in the same run: core's bare
// `rewrap` (the same age work without the proof and the record lookup) and one bare P-256 ECDH + X25519 ECDH on
// node:crypto (the asymmetric floor of any re-wrap). (2) Publishing into a large repository: one more release at
// --releases releases, in time and bytes written, against the floor of three bare Ed25519 signatures (bin, snapshot,
// timestamp: the least a TUF update signs) — and the bytes a flat, single targets role would rewrite instead.
//
//   node bench/hub-release.ts [--rewraps 2000] [--releases 10000] [--samples 200]
//
// Writes bench/out/hub-release.json.
import { createHash, diffieHellman, generateKeyPairSync, sign } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateIdentity, parseIdentities, parseRecipient, rewrap, sealStream } from "@edgeward/core";
import { DurableLog, generateNoteKey } from "@edgeward/tlog";
import { SqliteStore } from "@edgeward/tlog/sqlite";
import {
  DEFAULT_TUF_POLICY,
  MemoryReleaseStore,
  MemoryTufStore,
  ReleasesService,
  TufRepository,
  generateTufSigner,
  initTufRepository,
} from "@edgeward/hub";
import { median } from "./lib/measure.ts";

const { values } = parseArgs({
  options: {
    rewraps: { type: "string", default: "2000" },
    releases: { type: "string", default: "10000" },
    samples: { type: "string", default: "200" },
  },
});
const rewraps = Number(values.rewraps);
const releases = Number(values.releases);
const samples = Number(values.samples);
const cpu0 = process.cpuUsage();
const dir = mkdtempSync(join(tmpdir(), "edgeward-hub-release-"));

try {
  // A repository and a releases service with one sealed release, as the hub holds them.
  const now = new Date();
  const store = new MemoryTufStore();
  const offline = { root: [generateTufSigner()], targets: [generateTufSigner()] };
  const online = { snapshot: generateTufSigner(), timestamp: generateTufSigner(), releases: generateTufSigner() };
  await initTufRepository({ store, offline, online, now });
  const tuf = await TufRepository.open({ store, online, clock: () => now });
  const { signer } = generateNoteKey("bench.example/hub");
  const log = await DurableLog.create(new SqliteStore(join(dir, "log.db")), { origin: signer.name, signer });
  const escrow = generateIdentity("x25519");
  const escrowIds = parseIdentities(escrow.identityText);
  const service = new ReleasesService({
    tuf,
    store: new MemoryReleaseStore(),
    blobs: { put: async (chunks) => ({ sha256: await sha(chunks) }), read: () => Promise.reject(new Error("unused")) },
    log: { append: (e) => log.appendEvent(e), reader: log.reader, verifierKey: log.meta.vkey },
    escrow: escrowIds,
    clock: () => now,
  });
  const pieces: Uint8Array[] = [];
  for await (const p of sealStream([new Uint8Array(1024)], [parseRecipient(escrow.recipient)])) pieces.push(p);
  const [header, ...payload] = pieces;
  const body = Buffer.concat(payload);
  const created = await service.create(
    {
      name: "m",
      version: "1",
      kind: "model",
      groups: ["g"],
      length: body.length,
      sha256: createHash("sha256").update(body).digest("hex"),
      header: Buffer.from(header!).toString("base64"),
      bundle: Buffer.from("{}").toString("base64"),
    },
    null,
  );
  await service.upload(
    created.id,
    (async function* () {
      yield await Promise.resolve(body);
    })(),
  );
  const device = generateIdentity("p256").recipient;
  const deviceRecipient = parseRecipient(device);

  const ours = await rate(rewraps, () => service.rewrap(created.id, device));
  const bare = await rate(rewraps, () => rewrap(header!, escrowIds, [deviceRecipient]));
  const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const p256b = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const x = generateKeyPairSync("x25519");
  const xb = generateKeyPairSync("x25519");
  const ecdh = await rate(rewraps, () => {
    diffieHellman({ privateKey: p256.privateKey, publicKey: p256b.publicKey });
    diffieHellman({ privateKey: x.privateKey, publicKey: xb.publicKey });
    return Promise.resolve();
  });
  console.log(
    `key release re-wrap: ${ours.toFixed(0)}/s with proof; core rewrap ${bare.toFixed(0)}/s (ratio ${(ours / bare).toFixed(2)}); ` +
      `bare ECDH pair ${ecdh.toFixed(0)}/s (ratio ${(ours / ecdh).toFixed(2)})`,
  );

  // Publishing into a repository of `releases` releases (the default 64 bins), one at a time at the end.
  const big = new MemoryTufStore();
  await initTufRepository({ store: big, offline, online, now, policy: DEFAULT_TUF_POLICY });
  const repo = await TufRepository.open({ store: big, online, clock: () => now });
  const target = (i: number) => ({
    path: `model-${i}/1.0.${i}`,
    length: 1000 + i,
    sha256: createHash("sha256").update(String(i)).digest("hex"),
    custom: { name: `model-${i}`, version: `1.0.${i}`, floor: "1.0.0", kind: "model", groups: ["fleet"] },
  });
  for (let start = 0; start < releases; start += 1000) {
    await repo.publish(Array.from({ length: Math.min(1000, releases - start) }, (_, k) => target(start + k)));
  }
  let written = 0;
  const putAll = big.putAll.bind(big);
  big.putAll = (files) => {
    for (const f of files) written += f.bytes.length;
    return putAll(files);
  };
  const publishMs: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await repo.publish([target(releases + i)]);
    publishMs.push(performance.now() - t);
  }
  let binsBytes = 0;
  for (const name of big.names())
    if (/^releases-[0-9a-f]+\.json$/.test(name)) binsBytes += (await big.get(name))!.length;
  const key = generateKeyPairSync("ed25519").privateKey;
  const doc = Buffer.alloc(4096, 1);
  const anchorMs: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    for (let k = 0; k < 3; k++) sign(null, doc, key);
    anchorMs.push(performance.now() - t);
  }
  const perRelease = written / samples;
  console.log(
    `publish at ${releases} releases: median ${median(publishMs).toFixed(2)} ms; anchor 3 Ed25519 signatures ${median(anchorMs).toFixed(3)} ms ` +
      `(ratio ${(median(publishMs) / median(anchorMs)).toFixed(1)}); ${Math.round(perRelease)} bytes written per release, ` +
      `a flat targets role would rewrite ${binsBytes} (${(binsBytes / perRelease).toFixed(0)}x)`,
  );

  const cpu = process.cpuUsage(cpu0);
  const result = {
    keyRelease: { perSecond: ours, coreRewrapPerSecond: bare, ecdhPairPerSecond: ecdh, ratioToCoreRewrap: ours / bare },
    publish: {
      releases,
      medianMs: median(publishMs),
      anchorThreeSignaturesMs: median(anchorMs),
      ratioToAnchor: median(publishMs) / median(anchorMs),
      bytesWrittenPerRelease: perRelease,
      flatTargetsBytes: binsBytes,
    },
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  console.log(`CPU ${result.cpuSeconds.toFixed(1)} s, peak RSS ${result.peakRssMiB.toFixed(0)} MiB`);
  const out = new URL("out/", import.meta.url);
  mkdirSync(out, { recursive: true });
  writeFileSync(new URL("hub-release.json", out), `${JSON.stringify(result, null, 2)}\n`);
  await log.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Operations per second of `fn` run `n` times in sequence. */
async function rate(n: number, fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return n / ((performance.now() - t) / 1000);
}

async function sha(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<string> {
  const h = createHash("sha256");
  for await (const c of chunks) h.update(c);
  return h.digest("hex");
}
