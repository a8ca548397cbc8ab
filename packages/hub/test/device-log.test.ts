// Device log shipping (ARCHITECTURE.md flow 7): a device's Merkle log, built with the tlog package, shipped in
// parts; the hub accepts each checkpoint only with a consistency proof from the last one it holds, and a rewritten
// or rolled-back history is flagged, refused and the device quarantined.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateNoteKey, leafHash, MemoryTree, signCheckpoint } from "@edgeward/tlog";
import { rejectsWithCode } from "@edgeward/testkit";
import type { AuditEvent } from "@edgeward/tlog";
import { createDeviceCa, DeviceCa } from "../src/ca/index.ts";
import { DeviceLogService, MemoryDeviceStore, type DeviceRecord } from "../src/device/index.ts";

const NOW = new Date("2026-11-30T03:00:00Z");
const ORIGIN = "device.test/dev-1";

class DeviceLog {
  readonly tree = new MemoryTree();
  readonly leaves: Uint8Array[] = [];
  readonly key = generateNoteKey(ORIGIN);
  append(...texts: string[]): void {
    for (const t of texts) {
      const leaf = Buffer.from(t);
      this.leaves.push(leaf);
      this.tree.append(leafHash(leaf));
    }
  }
  checkpoint(size = this.tree.size): string {
    return signCheckpoint({ origin: ORIGIN, size, root: this.tree.rootAt(size), extensions: [] }, [this.key.signer]);
  }
  entries(from: number, to = this.tree.size) {
    return this.leaves.slice(from, to).map((d, i) => ({ index: from + i, data: Buffer.from(d).toString("base64") }));
  }
  async proof(from: number, to = this.tree.size): Promise<string[]> {
    return (await this.tree.consistencyProof(from, to)).map((h) => Buffer.from(h).toString("hex"));
  }
}

async function setup() {
  const store = new MemoryDeviceStore();
  const events: AuditEvent[] = [];
  const device: DeviceRecord = {
    id: "dev-1",
    group: "g",
    state: "trusted",
    ekDigest: "00",
    akPublic: "00",
    akQualifiedName: "00",
    recipient: "age1tag1x",
    unwrapPolicyDigest: "00",
    enrolledVia: "token",
    createdAt: NOW.toISOString(),
  };
  await store.insertDevice(device);
  const svc = new DeviceLogService({
    store,
    ca: await DeviceCa.load(await createDeviceCa(NOW)),
    audit: (e) => {
      events.push(e);
      return Promise.resolve();
    },
    now: () => NOW,
    manufacturerRoots: [],
    defaultGroup: "g",
  });
  return { store, events, svc };
}

test("a device log shipped in parts is accepted with consistency proofs", async () => {
  const { svc, store } = await setup();
  const log = new DeviceLog();
  await rejectsWithCode(
    svc.ship("dev-1", { entries: [], checkpoint: log.checkpoint(), consistencyProof: [] }),
    "EW_ERR_DEVICE_LOG_KEY",
  );
  log.append("boot", "attest.pass", "model.load");
  const first = await svc.ship("dev-1", {
    entries: log.entries(0),
    checkpoint: log.checkpoint(),
    consistencyProof: [],
    logKey: log.key.signer.vkey,
  });
  assert.deepEqual(first, { accepted: true, treeSize: 3 });
  log.append("guard.decision", "guard.decision");
  const second = await svc.ship("dev-1", {
    entries: log.entries(3),
    checkpoint: log.checkpoint(),
    fromSize: 3,
    consistencyProof: await log.proof(3),
  });
  assert.equal(second.treeSize, 5);
  assert.equal((await store.getDeviceLog("dev-1"))?.treeSize, 5);
  assert.equal((await store.getDevice("dev-1"))?.state, "trusted");
});

test("entries that do not hash to the first checkpoint, a wrong fromSize and another key are refused", async () => {
  const { svc } = await setup();
  const log = new DeviceLog();
  log.append("a", "b");
  const bad = log.entries(0).map((e, i) => (i === 1 ? { ...e, data: Buffer.from("x").toString("base64") } : e));
  await rejectsWithCode(
    svc.ship("dev-1", {
      entries: bad,
      checkpoint: log.checkpoint(),
      consistencyProof: [],
      logKey: log.key.signer.vkey,
    }),
    "EW_ERR_DEVICE_LOG_ENTRIES",
  );
  const other = new DeviceLog();
  await rejectsWithCode(
    svc.ship("dev-1", {
      entries: log.entries(0),
      checkpoint: log.checkpoint(),
      consistencyProof: [],
      logKey: other.key.signer.vkey,
    }),
    "EW_ERR_NOTE_UNKNOWN_KEY",
  );
  await svc.ship("dev-1", {
    entries: log.entries(0),
    checkpoint: log.checkpoint(),
    consistencyProof: [],
    logKey: log.key.signer.vkey,
  });
  log.append("c");
  await rejectsWithCode(
    svc.ship("dev-1", {
      entries: log.entries(2),
      checkpoint: log.checkpoint(),
      fromSize: 1,
      consistencyProof: await log.proof(2),
    }),
    "EW_ERR_DEVICE_LOG_ENTRIES",
  );
  await rejectsWithCode(
    svc.ship("dev-1", {
      entries: log.entries(2),
      checkpoint: log.checkpoint(),
      consistencyProof: [],
      logKey: other.key.signer.vkey,
    }),
    "EW_ERR_DEVICE_LOG_KEY",
  );
});

for (const [what, rewrite] of [
  ["a rewritten history", (log: DeviceLog) => log.leaves.splice(1, 1, Buffer.from("attest.fail was here"))],
  ["a rolled-back history", () => undefined],
] as const)
  test(`${what} is flagged, refused with EW_ERR_DEVICE_LOG_REWRITTEN and quarantines the device`, async () => {
    const { svc, store, events } = await setup();
    const log = new DeviceLog();
    log.append("a", "b", "c", "d");
    await svc.ship("dev-1", {
      entries: log.entries(0),
      checkpoint: log.checkpoint(),
      consistencyProof: [],
      logKey: log.key.signer.vkey,
    });
    // The same key signs another history: rebuild the tree from the altered leaves, then grow it.
    rewrite(log);
    const forged = new DeviceLog();
    Object.assign(forged, { key: log.key });
    for (const l of log.leaves) forged.append(Buffer.from(l).toString());
    if (what === "a rewritten history") forged.append("e");
    const size = what === "a rewritten history" ? forged.tree.size : 2;
    await rejectsWithCode(
      svc.ship("dev-1", {
        entries: forged.entries(4, Math.max(4, size)),
        checkpoint: forged.checkpoint(size),
        consistencyProof: size > 4 ? await forged.proof(4, size) : [],
      }),
      "EW_ERR_DEVICE_LOG_REWRITTEN",
    );
    assert.equal((await store.getDevice("dev-1"))?.state, "quarantined");
    assert.ok(events.some((e) => e.kind === "device.log.rewritten"));
    assert.equal((await store.getDeviceLog("dev-1"))?.treeSize, 4);
  });
