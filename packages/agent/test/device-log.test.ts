import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  decodeAuditEvent,
  leafHash,
  MemoryTree,
  openCheckpoint,
  parseVerifierKey,
  verifyConsistency,
} from "@edgeward/tlog";
import { rejectsWithCode, type Swtpm } from "@edgeward/testkit";
import { DeviceLog, loadDevice, openDeviceKeys, type StateLayout } from "@edgeward/agent";
import { ed25519Signer } from "@edgeward/tlog";
import { deviceFor, SLOW, useProvisionedDevice } from "./helpers.ts";

describe("the device's own Merkle log", SLOW, () => {
  const fixture = useProvisionedDevice();
  let tpm: Swtpm;
  let layout: StateLayout;
  before(() => ({ tpm, layout } = fixture.device));

  it("records decisions signed by the TPM-sealed key, and ships entries with a checkpoint and consistency proof", async () => {
    const { logSigner } = await openDeviceKeys(deviceFor(tpm), await loadDevice(layout));
    const log = await DeviceLog.open(layout, logSigner, "agent:dev-1");
    await log.record({ kind: "device.enrol", subject: "dev-1" });
    await log.record({ kind: "attest.pass", subject: "dev-1", details: { nonce: "ab" } });
    const first = await log.shipment(0);
    assert.equal(first.entries.length, 2);
    assert.equal(decodeAuditEvent(Buffer.from(first.entries[1]?.data ?? "", "base64")).kind, "attest.pass");
    const vkey = parseVerifierKey(first.logKey ?? "");
    const cp1 = openCheckpoint(first.checkpoint, vkey);
    assert.equal(cp1.size, 2);
    const tree = new MemoryTree();
    for (const e of first.entries) tree.append(leafHash(Buffer.from(e.data, "base64")));
    assert.deepEqual(Buffer.from(tree.root()), Buffer.from(cp1.root));

    await log.record({ kind: "update.refuse", subject: "model:m@1", details: { code: "EW_ERR_AGENT_FLOOR" } });
    const second = await log.shipment(2);
    assert.deepEqual(
      second.entries.map((e) => e.index),
      [2],
    );
    const cp2 = openCheckpoint(second.checkpoint, vkey);
    verifyConsistency(
      2,
      3,
      cp1.root,
      cp2.root,
      second.consistencyProof.map((h) => Buffer.from(h, "hex")),
    );
    await log.close();

    // Reopened (an agent restart) it continues the same history.
    const again = await DeviceLog.open(layout, logSigner, "agent:dev-1");
    assert.equal(again.size, 3);
    await again.close();
  });

  it("refuses to open its log with another key (EW_ERR_LOG_KEY_MISMATCH)", async () => {
    const stranger = ed25519Signer((await loadDevice(layout)).logOrigin, new Uint8Array(32).fill(1));
    await rejectsWithCode(DeviceLog.open(layout, stranger, "agent:dev-1"), "EW_ERR_LOG_KEY_MISMATCH");
  });
});
