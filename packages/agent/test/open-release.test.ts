import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { appendFile, open, truncate } from "node:fs/promises";
import { before, describe, it } from "node:test";
import { generateSigningKey, isEdgewardError, parseRecipient, sealStream, signModel } from "@edgeward/core";
import { filesHolding, rejectsWithCode, seededRandom, syntheticMatMulModel } from "@edgeward/testkit";
import { loadModel } from "@edgeward/runtime";
import {
  activateRelease,
  DeviceLog,
  loadDevice,
  ModelSlot,
  openDeviceKeys,
  openStoredRelease,
  ReleaseStore,
  VersionFloor,
  writePrivateFile,
  type ActivateDeps,
  type DeviceRecord,
} from "@edgeward/agent";
import type { ErrorCode, SealedModelCheck } from "@edgeward/core";
import { decodeAuditEvent } from "@edgeward/tlog";
import { deviceFor, SLOW, useProvisionedDevice } from "./helpers.ts";

/** 64 KiB STREAM chunks plus their 16-byte tags (c2sp.org/age §Payload). */
const ENCRYPTED_CHUNK = 65536 + 16;
const SHARD = 1 << 20;

describe("opening a stored release streams from its ciphertext file (swtpm, ONNX Runtime)", SLOW, () => {
  const fixture = useProvisionedDevice();
  const publisher = generateSigningKey();
  // 768 × 1024 float32 weights: a 3 MiB model, three 1 MiB signature shards and 48 STREAM chunks.
  const model = syntheticMatMulModel(768, 1024);
  const checks = new Map<string, SealedModelCheck>();
  let record: DeviceRecord;
  let deps: ActivateDeps;
  let log: DeviceLog;
  let loads = 0;

  /** Signs `model` in 1 MiB shards, seals it to this device, and stores it as release `id` at `version`. */
  async function store(id: string, version: string): Promise<string> {
    const bundle = await signModel({
      data: model,
      name: "matmul",
      privateKey: publisher.privateKeyPem,
      shardSize: SHARD,
    });
    const parts: Uint8Array[] = [];
    for await (const c of sealStream([model], [parseRecipient(record.recipient)])) parts.push(c);
    const [header, ...rest] = parts;
    assert.ok(header !== undefined);
    const payload = Buffer.concat(rest);
    await deps.releases.saveMeta({
      releaseId: id,
      name: "matmul",
      version,
      floor: version,
      kind: "model",
      targetName: `matmul/${version}`,
      length: payload.length,
      sha256: "00",
    });
    await writePrivateFile(deps.releases.paths(id).payload, payload);
    await deps.releases.saveHeader(id, header);
    checks.set(id, { publicKey: publisher.publicKeyPem, bundle: JSON.parse(JSON.stringify(bundle)), name: "matmul" });
    return deps.releases.paths(id).payload;
  }

  before(async () => {
    const { tpm, layout } = fixture.device;
    record = await loadDevice(layout);
    const dev = deviceFor(tpm);
    log = await DeviceLog.open(layout, (await openDeviceKeys(dev, record)).logSigner, "agent:test");
    deps = {
      tpm: dev,
      record,
      layout,
      releases: new ReleaseStore(layout),
      floor: (name) => VersionFloor.forRelease(dev, name),
      slot: new ModelSlot((m) => {
        loads++;
        return loadModel(m);
      }),
      log,
      check: (meta) => Promise.resolve(checks.get(meta.releaseId)),
    };
  });

  it("opens a multi-chunk release into one buffer of the model's exact bytes, its shard signature verified", async () => {
    await store("r1", "1");
    const check = checks.get("r1");
    assert.ok(check !== undefined);
    const opened = await openStoredRelease(deps.tpm, record, deps.layout, deps.releases, "r1", { check });
    assert.equal(opened.plaintext.byteOffset, 0);
    assert.equal(opened.plaintext.buffer.byteLength, model.length, "the buffer is exactly the model");
    assert.ok(Buffer.from(opened.plaintext).equals(model));
    assert.equal(opened.verification?.shardSize, SHARD);
    assert.equal(opened.verification?.size, model.length);
    opened.plaintext.fill(0);
    await activateRelease(deps, "r1");
    assert.equal(deps.slot.current().version, "1");
    assert.equal(loads, 1);
  });

  const damaged: [string, ErrorCode, (path: string) => Promise<void>][] = [
    ["cut inside a chunk", "EW_ERR_AGE_PAYLOAD_AUTH", (p) => truncate(p, 16 + 10 * ENCRYPTED_CHUNK + 5000)],
    [
      "cut at a chunk boundary (the final chunk dropped)",
      "EW_ERR_AGE_PAYLOAD_TRUNCATED",
      (p) => truncate(p, 16 + 47 * ENCRYPTED_CHUNK),
    ],
    ["cut inside the nonce", "EW_ERR_AGE_PAYLOAD_NONCE", (p) => truncate(p, 9)],
    [
      "one bit flipped in the final chunk",
      "EW_ERR_AGE_PAYLOAD_AUTH",
      (p) => flipByte(p, 16 + 48 * ENCRYPTED_CHUNK + 3),
    ],
    ["with bytes appended to its final chunk", "EW_ERR_AGE_PAYLOAD_AUTH", (p) => appendFile(p, Buffer.alloc(40))],
  ];
  for (const [i, [what, code, damage]] of damaged.entries()) {
    it(`a stored payload ${what} is refused with ${code}; nothing is loaded and the old model keeps serving`, async () => {
      const id = `bad${i}`;
      await damage(await store(id, String(2 + i)));
      await rejectsWithCode(openStoredRelease(deps.tpm, record, deps.layout, deps.releases, id), code);
      await rejectsWithCode(activateRelease(deps, id), code);
      assert.equal(loads, 1, "ONNX Runtime was never handed the damaged release");
      assert.equal(deps.slot.current().version, "1");
      assert.equal(await (await deps.floor("matmul")).read(), 1n, "a refused release raises no floor");
      const last = (await log.shipment(0)).entries.at(-1);
      assert.ok(last !== undefined);
      const event = decodeAuditEvent(Buffer.from(last.data, "base64"));
      assert.equal(event.kind, "update.refuse");
      assert.equal(event.details?.code, code);
    });
  }

  it("refuses every one of 16 seeded random cuts and bit flips of the stored payload with an age payload code", async () => {
    const random = seededRandom(20261130);
    const path = await store("fuzz", "30");
    const whole = readFileSync(path);
    const codes = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const at = Math.floor(random() * whole.length);
      const damaged = Buffer.from(i % 2 === 0 ? whole.subarray(0, at) : whole);
      if (i % 2 === 1) damaged[at] = (damaged[at] ?? 0) ^ (1 << Math.floor(random() * 8));
      writeFileSync(path, damaged);
      const err = await openStoredRelease(deps.tpm, record, deps.layout, deps.releases, "fuzz").then(
        () => assert.fail(`seed 20261130 case ${i} (at ${at}) opened`),
        (e: unknown) => e,
      );
      assert.ok(isEdgewardError(err), `case ${i}: ${String(err)}`);
      assert.match(err.code, /^EW_ERR_AGE_PAYLOAD_(AUTH|TRUNCATED|NONCE)$/, `case ${i} at ${at}`);
      codes.add(err.code);
    }
    assert.ok(codes.has("EW_ERR_AGE_PAYLOAD_AUTH"));
    assert.equal(loads, 1);
    assert.equal(deps.slot.current().version, "1");
  });

  it("leaves no 64-byte fragment of the plaintext model in the state directory", async () => {
    assert.deepEqual(filesHolding([deps.layout.root], model), []);
    await deps.slot.close();
    await log.close();
  });
});

async function flipByte(path: string, at: number): Promise<void> {
  const handle = await open(path, "r+");
  try {
    const one = Buffer.alloc(1);
    await handle.read(one, 0, 1, at);
    one[0] = (one[0] ?? 0) ^ 1;
    await handle.write(one, 0, 1, at);
  } finally {
    await handle.close();
  }
}
