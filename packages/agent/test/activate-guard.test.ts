import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import sharp from "sharp";
import { parse } from "yaml";
import { generateSigningKey, type SealedModelCheck } from "@edgeward/core";
import { loadModel } from "@edgeward/runtime";
import { filesHolding, rejectsWithCode, type Swtpm } from "@edgeward/testkit";
import { decodeAuditEvent } from "@edgeward/tlog";
import {
  activateRelease,
  Agent,
  AUDIT_STATE_FILE,
  DeviceLog,
  GuardSlot,
  inferImage,
  loadDevice,
  ModelSlot,
  openDeviceKeys,
  parseConfig,
  ReleaseStore,
  VersionFloor,
  type ActivateDeps,
  type GuardedAnswer,
  type StateLayout,
} from "@edgeward/agent";

import { deviceFor, SLOW, useProvisionedDevice } from "./helpers.ts";
import { GUARD_MODELS, makeGuardedRelease, shippedGuardFile, storeGuardedRelease } from "./guard-releases.ts";
import { makeRelease, storeRelease } from "./releases.ts";

// The served model is the guard's own primary (cnn.onnx), so the bundle ships guard.yaml and mlp.onnx only.
const cnn = () => shippedGuardFile("cnn.onnx");
const mlp = shippedGuardFile("mlp.onnx");
const yaml = shippedGuardFile("guard.yaml");
const yamlDigest = createHash("sha256").update(yaml).digest("hex");
// The stages the shipped guard file configures, read from the YAML itself rather than through the guard package.
const yamlStages = Object.keys((parse(Buffer.from(yaml).toString("utf8")) as { stages: object }).stages);
const bundle = (models: { mlp?: Uint8Array } = {}) =>
  new Map([
    ["guard.yaml", yaml],
    ["mlp.onnx", models.mlp ?? mlp],
  ]);
const reference = (JSON.parse(readFileSync(`${GUARD_MODELS}cnn.reference.json`, "utf8")) as { input: number[][] })
  .input;
const png = (pixels: readonly number[]) =>
  sharp(Buffer.from(pixels.map((v) => Math.round(v * 255))), { raw: { width: 28, height: 28, channels: 1 } })
    .png()
    .toBuffer();

describe("a release that carries its guard (swtpm, ONNX Runtime)", SLOW, () => {
  const fixture = useProvisionedDevice();
  let tpm: Swtpm;
  let layout: StateLayout;
  let deps: ActivateDeps & { guards: GuardSlot };
  let log: DeviceLog;
  const publisher = generateSigningKey();

  before(async () => {
    ({ tpm, layout } = fixture.device);
    const record = await loadDevice(layout);
    const dev = deviceFor(tpm);
    log = await DeviceLog.open(layout, (await openDeviceKeys(dev, record)).logSigner, "agent:test");
    const releases = new ReleaseStore(layout);
    const checks = new Map<string, SealedModelCheck>();
    const to = [record.recipient];
    const made = [
      await makeGuardedRelease(cnn(), bundle(), to, publisher, { id: "r1", version: "1" }),
      // The TUF target names another guard file than the one in the bundle.
      await makeGuardedRelease(cnn(), bundle(), to, publisher, {
        id: "r2",
        version: "2",
        configSha256: "0".repeat(64),
      }),
      // guard.yaml as signed, but the ensemble's model is not the one it names.
      await makeGuardedRelease(cnn(), bundle({ mlp: cnn() }), to, publisher, { id: "r3", version: "3" }),
      await makeGuardedRelease(cnn(), bundle(), to, publisher, { id: "r4", version: "4" }),
      await makeGuardedRelease(cnn(), bundle(), to, publisher, { id: "r6", version: "6" }),
      // Authenticated under the release's key, but not a guard bundle.
      await makeGuardedRelease(cnn(), bundle(), to, publisher, { id: "r7", version: "7", rawBundle: yaml }),
    ];
    for (const r of made) {
      checks.set(r.meta.releaseId, r.check);
      await storeGuardedRelease(releases, r);
    }
    // r4's guard payload is corrupted on disk after download: one flipped bit in its last chunk.
    const g4 = releases.guardPayload("r4");
    const bytes = readFileSync(g4);
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 1;
    writeFileSync(g4, bytes);
    // r5: the model alone, no guard.
    const plain = await makeRelease(cnn(), record.recipient, publisher, { id: "r5", name: "fashion", version: "5" });
    checks.set("r5", plain.check);
    await storeRelease(releases, plain);
    const slots = { slot: new ModelSlot(loadModel), guards: new GuardSlot() };
    const floor = (name: string) => VersionFloor.forRelease(dev, name);
    deps = {
      tpm: dev,
      record,
      layout,
      releases,
      floor,
      log,
      ...slots,
      check: (m) => Promise.resolve(checks.get(m.releaseId)),
    };
  });

  const lastDecision = async () => {
    const entries = (await log.shipment(0)).entries;
    return decodeAuditEvent(Buffer.from(entries.at(-1)?.data ?? "", "base64"));
  };
  // A new client each time: the query-attack stage flags one client repeating near-identical images.
  let clients = 0;
  const image = async (n = 3) => inferImage(deps, await png(reference[n] ?? []), `cam-${++clients}`);

  it("opens model and guard with the one device header, switches them together, and the guard answers images", async () => {
    await activateRelease(deps, "r1");
    assert.equal(deps.slot.current().version, "1");
    const guard = deps.guards.current();
    assert.deepEqual([guard?.digest, guard?.releaseDigest, guard?.stages], [yamlDigest, yamlDigest, yamlStages]);
    const answer: GuardedAnswer = await image();
    assert.equal(answer.decision, "accept", JSON.stringify(answer.reasons));
    assert.deepEqual([answer.model.version, answer.guard.digest], ["1", yamlDigest]);
    const installed = await lastDecision();
    assert.equal(installed.kind, "update.install");
    assert.equal(installed.details["guard"], yamlDigest);
  });

  for (const [id, code, what] of [
    ["r2", "EW_ERR_GUARD_DIGEST", "a guard file other than the one the TUF target names"],
    ["r3", "EW_ERR_GUARD_MODEL_DIGEST", "a guard model other than the one the guard file names"],
    ["r4", "EW_ERR_AGE_PAYLOAD_AUTH", "a guard payload that does not authenticate"],
    ["r7", "EW_ERR_GUARD_BUNDLE", "a guard payload that is not a guard bundle"],
  ] as const)
    it(`refuses the whole release for ${what} (${code}); the old model and guard keep serving`, async () => {
      const serving = deps.guards.current();
      await rejectsWithCode(activateRelease(deps, id), code);
      assert.equal(deps.slot.current().version, "1");
      assert.equal(deps.guards.current(), serving, "the same guard still serves");
      assert.equal((await image()).decision, "accept");
      assert.equal(await (await deps.floor("fashion")).read(), 1n, "the floor did not move");
      assert.deepEqual(await deps.releases.current(), { current: "r1" });
      const refused = await lastDecision();
      assert.deepEqual(
        [refused.kind, refused.details["release"], refused.details["code"]],
        ["update.refuse", id, code],
      );
    });

  it("refuses a release whose guard payload is missing (EW_ERR_AGENT_STATE), and one it has no guard slot for (EW_ERR_AGENT_CONFIG)", async () => {
    const path = deps.releases.guardPayload("r6");
    renameSync(path, `${path}.away`);
    await rejectsWithCode(activateRelease(deps, "r6"), "EW_ERR_AGENT_STATE");
    renameSync(`${path}.away`, path);
    const { guards: _g, ...unguarded } = deps;
    await rejectsWithCode(activateRelease(unguarded, "r6"), "EW_ERR_AGENT_CONFIG");
    assert.equal(deps.slot.current().version, "1");
  });

  it("a release without a guard serves tensors as before, and images are refused for want of a guard", async () => {
    await activateRelease(deps, "r5");
    assert.equal(deps.slot.current().version, "5");
    assert.equal(deps.guards.current(), undefined);
    await rejectsWithCode(image(), "EW_ERR_INPUT_FORMAT");
  });

  it("after a restart without the hub the daemon re-opens model and guard, state.json names the guard, and a tamper releases both", async () => {
    await activateRelease(deps, "r6");
    await deps.slot.close();
    await deps.guards.close();
    await log.close();
    const agent = await Agent.start({ tpm: deviceFor(tpm), layout, config: parseConfig({}) });
    try {
      assert.equal(agent.slot.current().version, "6");
      assert.equal(agent.guards.current()?.digest, yamlDigest);
      const res = await agent.app.inject({
        method: "POST",
        url: "/v1/infer",
        headers: { "content-type": "image/png" },
        payload: await png(reference[3] ?? []),
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json<GuardedAnswer>().decision, "accept");
      const state = JSON.parse(readFileSync(join(layout.root, AUDIT_STATE_FILE), "utf8")) as { guard?: unknown };
      assert.deepEqual(state.guard, {
        source: "release",
        digest: yamlDigest,
        releaseDigest: yamlDigest,
        stages: yamlStages,
      });
      // A tamper response zeroizes the model and releases the guard with it: images are refused with its code.
      await agent.tamper({ source: "case", details: "opened" });
      const tampered = await agent.app.inject({
        method: "POST",
        url: "/v1/infer",
        headers: { "content-type": "image/png" },
        payload: await png(reference[3] ?? []),
      });
      assert.equal(tampered.json<{ code: string }>().code, "EW_ERR_AGENT_TAMPERED");
      for (let i = 0; i < 50 && agent.guards.current() !== undefined; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(agent.guards.current(), undefined, "the guard's sessions are released");
    } finally {
      await agent.close();
    }
  });

  it("leaves no 64-byte fragment of the served or the guard's models in the state directory", () => {
    assert.deepEqual(filesHolding([layout.root], [cnn(), mlp]), []);
    // The scan finds what it looks for: 96 bytes of the guard's second model in a file of the state directory.
    writeFileSync(join(layout.root, "planted"), Buffer.concat([Buffer.from("x"), mlp.subarray(5000, 5096)]));
    assert.deepEqual(filesHolding([layout.root], [cnn(), mlp]), [join(layout.root, "planted")]);
  });
});
