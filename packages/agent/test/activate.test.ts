import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { EdgewardError, generateSigningKey, generateIdentity } from "@edgeward/core";
import { rejectsWithCode, syntheticMatMulModel, type Swtpm } from "@edgeward/testkit";
import { loadModel } from "@edgeward/runtime";
import { APPLICATION_PCR } from "@edgeward/tpm";
import {
  activateRelease,
  DeviceLog,
  loadDevice,
  ModelSlot,
  openDeviceKeys,
  ReleaseStore,
  VersionFloor,
  type ActivateDeps,
  type DeviceRecord,
  type StateLayout,
} from "@edgeward/agent";
import { decodeAuditEvent } from "@edgeward/tlog";
import { deviceFor, filesHolding, SLOW, useProvisionedDevice } from "./helpers.ts";
import { makeRelease, storeRelease, type Publisher } from "./releases.ts";

describe("activating releases through the TPM (swtpm, ONNX Runtime)", SLOW, () => {
  const fixture = useProvisionedDevice();
  let tpm: Swtpm;
  let layout: StateLayout;
  let record: DeviceRecord;
  let deps: ActivateDeps;
  let log: DeviceLog;
  const publisher: Publisher = generateSigningKey();
  const models = [1, 2, 3, 4].map((v) => syntheticMatMulModel(64, 8 + v));
  const checks = new Map<string, Awaited<ReturnType<typeof makeRelease>>["check"]>();

  before(async () => {
    ({ tpm, layout } = fixture.device);
    record = await loadDevice(layout);
    const dev = deviceFor(tpm);
    log = await DeviceLog.open(layout, (await openDeviceKeys(dev, record)).logSigner, "agent:test");
    const releases = new ReleaseStore(layout);
    deps = {
      tpm: dev,
      record,
      layout,
      releases,
      floor: (name) => VersionFloor.forRelease(dev, name),
      slot: new ModelSlot(loadModel),
      log,
      check: (meta) => Promise.resolve(checks.get(meta.releaseId)),
    };
    for (const [i, model] of models.entries()) {
      const r = await makeRelease(model, record.recipient, publisher, { id: `r${i + 1}`, version: `${i + 1}` });
      checks.set(r.meta.releaseId, r.check);
      await storeRelease(releases, r);
    }
  });

  it("opens, verifies and serves a release, raises the TPM floor, and records it", async () => {
    await activateRelease(deps, "r2");
    assert.equal(deps.slot.current().version, "2");
    assert.equal(await (await deps.floor("matmul")).read(), 2n);
    await activateRelease(deps, "r3");
    assert.deepEqual(await deps.releases.current(), { current: "r3", previous: "r2" });
    assert.equal(await (await deps.floor("matmul")).read(), 3n);
    const kinds = (await log.shipment(0)).entries.map((e) => decodeAuditEvent(Buffer.from(e.data, "base64")).kind);
    assert.deepEqual(kinds, ["update.install", "update.install"]);
  });

  it("refuses a release below the floor (EW_ERR_AGENT_FLOOR) and keeps serving", async () => {
    await rejectsWithCode(activateRelease(deps, "r2"), "EW_ERR_AGENT_FLOOR");
    assert.equal(deps.slot.current().version, "3");
  });

  it("refuses a signature by another publisher and a header for another device, and keeps serving", async () => {
    const stranger = generateSigningKey();
    const forged = await makeRelease(models[3] ?? new Uint8Array(), record.recipient, stranger, {
      id: "r9",
      version: "9",
    });
    checks.set("r9", { ...forged.check, publicKey: publisher.publicKeyPem });
    await storeRelease(deps.releases, forged);
    await rejectsWithCode(activateRelease(deps, "r9"), "EW_ERR_SIG_KEY_MISMATCH");
    const other = generateIdentity("x25519");
    const foreign = await makeRelease(models[3] ?? new Uint8Array(), other.recipient, publisher, {
      id: "r8",
      version: "8",
    });
    checks.set("r8", foreign.check);
    await storeRelease(deps.releases, foreign);
    await rejectsWithCode(activateRelease(deps, "r8"), "EW_ERR_AGE_NO_IDENTITY");
    assert.equal(deps.slot.current().version, "3");
    assert.equal(await (await deps.floor("matmul")).read(), 3n, "a refused release raises nothing");
  });

  it("a release whose files cannot be flushed to disk (EW_ERR_IO) moves neither the floor nor current.json", async () => {
    class Unflushable extends ReleaseStore {
      override persist(): Promise<void> {
        return Promise.reject(new EdgewardError("EW_ERR_IO", { detail: "flushing the release" }));
      }
    }
    await rejectsWithCode(activateRelease({ ...deps, releases: new Unflushable(layout) }, "r4"), "EW_ERR_IO");
    assert.equal(await (await deps.floor("matmul")).read(), 3n);
    assert.deepEqual(await deps.releases.current(), { current: "r3", previous: "r2" });
    const last = (await log.shipment(0)).entries.at(-1);
    assert.equal(decodeAuditEvent(Buffer.from(last?.data ?? "", "base64")).details?.["code"], "EW_ERR_IO");
    await rejectsWithCode(new ReleaseStore(layout).persist("no-such-release"), "EW_ERR_IO");
  });

  it("after a boot change the stored release does not open (EW_ERR_AGENT_BOOT_CHANGED); after a reboot it does", async () => {
    const dev = deviceFor(tpm);
    await dev.pcrExtend(APPLICATION_PCR, Buffer.from("another boot"));
    await rejectsWithCode(activateRelease(deps, "r4"), "EW_ERR_AGENT_BOOT_CHANGED");
    await tpm.reboot();
    await activateRelease(deps, "r4");
    assert.equal(deps.slot.current().version, "4");
    assert.deepEqual(await deps.releases.current(), { current: "r4", previous: "r3" });
    assert.equal(await deps.releases.header("r2"), undefined, "the release before the previous one is deleted");
  });

  it("leaves no 64-byte fragment of any plaintext model in the state directory", async () => {
    for (const m of models) assert.deepEqual(filesHolding([layout.root], m), []);
    await deps.slot.close();
    await log.close();
  });
});
