// A test hub app with a releases service, for the release routes' tests (app.inject, no socket).
import { join } from "node:path";
import { generateIdentity, parseIdentities } from "@edgeward/core";
import { generateNoteKey } from "@edgeward/tlog";
import { SqliteStore } from "@edgeward/tlog/sqlite";
import { BlobStore } from "../../src/blobs/blob-store.ts";
import { HubAuditLog } from "../../src/audit/hub-log.ts";
import { MemoryReleaseStore, ReleasesService } from "../../src/releases/index.ts";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { makeRepository } from "../tuf/helpers.ts";

/**
 * A test hub whose releases service shares the app's blob store and audit log; devices are let in by a stand-in
 * unless `devices` is false. Returns the escrow recipient headers must be sealed to.
 */
export async function startReleasesHub(
  dir: string,
  devices = true,
): Promise<{ hub: TestHub; escrowRecipient: string }> {
  const tuf = await makeRepository();
  const blobs = new BlobStore(join(dir, "blobs"));
  const { signer } = generateNoteKey("edgeward.test/hub");
  const audit = await HubAuditLog.create(new SqliteStore(join(dir, "log.db")), signer);
  const escrow = generateIdentity("x25519");
  const releases = new ReleasesService({
    tuf: tuf.repo,
    store: new MemoryReleaseStore(),
    blobs,
    log: audit,
    escrow: parseIdentities(escrow.identityText),
    clock: () => tuf.clock.now,
  });
  const acceptDeviceForTest = () => Promise.resolve({ deviceId: "dev-test" });
  const hub = await startTestHub({
    deps: { blobs, audit, releases, ...(devices ? { deviceAuth: acceptDeviceForTest } : {}) },
  });
  return { hub, escrowRecipient: escrow.recipient };
}
