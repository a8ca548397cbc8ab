// `edgeward hub tuf` on a real hub directory (TUF 1.0 §5.3.4–5.3.5): the offline keys, moved off the server and
// brought back, rotate root and re-sign the top-level targets; a tuf-js client that holds only root 1 walks to the
// new root and still downloads a target, and every rotation short of the old root's threshold is refused.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { cp, mkdir, readFile, readdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Metadata, MetadataKind } from "@tufjs/models";
import { exportTufSigner } from "../../src/tuf/keys.ts";
import { printedCode, runCli, tempDir } from "@edgeward/testkit";
import { openHub } from "../../src/hubdir/open.ts";
import { HubStore } from "../../src/store/hub-store.ts";
import { DatabaseTufStore } from "../../src/store/tuf-files.ts";
import { generateTufSigner, importTufSigner, TufRepository } from "../../src/tuf/index.ts";
import { makeClient, publishBytes, type RepositoryView } from "./helpers.ts";

interface RoleStatus {
  version: number;
  threshold: number;
  keys: { keyId: string; file?: string }[];
}

async function cli(args: string[]): Promise<Record<string, unknown>> {
  const r = await runCli(args);
  assert.equal(r.status, 0, `edgeward ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout.toString("utf8")) as Record<string, unknown>;
}

/** The repository as a restarted `hub serve` opens it: the online keys read from HUB/tuf/ again. */
async function openRepository(hubDir: string, view: { repo?: TufRepository; close?: () => Promise<void> }) {
  await view.close?.();
  const store = await HubStore.open({ sqlite: join(hubDir, "hub.db") });
  const key = async (role: string) => importTufSigner(await readFile(join(hubDir, "tuf", `${role}.pem`), "utf8"));
  view.repo = await TufRepository.open({
    store: new DatabaseTufStore(store),
    online: { snapshot: await key("snapshot"), timestamp: await key("timestamp"), releases: await key("releases") },
    clock: () => new Date(),
  });
  view.close = () => store.close();
}

describe("edgeward hub tuf", () => {
  it("rotates root and targets with the offline keys; a client holding only root 1 follows and downloads", async () => {
    using dir = tempDir("edgeward-hub-tuf-");
    const hubDir = join(dir.path, "hub");
    const keys = join(dir.path, "keys");
    await cli(["hub", "init", "--dir", hubDir, "--root-keys", "2", "--root-threshold", "2", "--json"]);
    await rename(join(hubDir, "offline"), keys); // moved off the server, as init says
    const view = { blobs: new Map<string, Uint8Array>() } as RepositoryView & { close?: () => Promise<void> };
    try {
      await openRepository(hubDir, view);
      const payload = randomBytes(5000);
      await publishBytes(view, "classifier/1.0.0", payload, { name: "classifier" });
      const root1 = await view.repo.metadata("1.root.json");
      const tuf = (...more: string[]) => ["hub", "tuf", ...more, "--dir", hubDir, "--json"];

      const before = (await cli(tuf("status", "--offline", keys))) as unknown as Record<string, RoleStatus>;
      assert.equal(before["root"]!.version, 1);
      assert.equal(before["root"]!.threshold, 2);
      const [first, second] = before["root"]!.keys;
      assert.equal(first!.file, join(keys, "root-1.pem"));

      // One of the two root keys, or a key root never named, misses the current threshold of 2.
      const partial = join(dir.path, "partial");
      await mkdir(partial);
      await cp(join(keys, "root-1.pem"), join(partial, "root-1.pem"));
      await writeFile(join(partial, "usurper.pem"), exportTufSigner(generateTufSigner()), { mode: 0o600 });
      assert.equal(printedCode(await runCli(tuf("rotate-root", "--offline", partial))), "EW_ERR_TUF_THRESHOLD");
      assert.equal(
        printedCode(await runCli(tuf("rotate-root", "--offline", keys, "--new-keys", "1", "--threshold", "4"))),
        "EW_ERR_TUF_POLICY",
      );
      assert.equal((await readdir(keys)).length, 3, "a refused rotation leaves no new key behind");
      assert.equal(
        printedCode(await runCli(tuf("rotate-root", "--offline", keys, "--remove-key", "ab".repeat(32)))),
        "EW_ERR_USAGE",
      );
      await writeFile(join(partial, "broken.pem"), "not a key");
      assert.equal(printedCode(await runCli(tuf("rotate-root", "--offline", partial))), "EW_ERR_TUF_KEY");

      // Root 2: root-1 is retired, a new root-3 is created; the threshold stays 2.
      const root2 = (await cli(
        tuf("rotate-root", "--offline", keys, "--new-keys", "1", "--remove-key", first!.keyId),
      )) as unknown as RoleStatus;
      assert.equal(root2.version, 2);
      assert.equal(root2.threshold, 2);
      assert.deepEqual(root2.keys[0], second);
      assert.equal(root2.keys[1]!.file, join(keys, "root-3.pem"));
      assert.deepEqual((await readdir(keys)).sort(), ["root-1.pem", "root-2.pem", "root-3.pem", "targets-1.pem"]);
      // The retired key no longer counts: root-1 and root-2 are one of root 2's two keys.
      await rename(join(partial, "broken.pem"), join(dir.path, "broken.pem"));
      await cp(join(keys, "root-2.pem"), join(partial, "root-2.pem"));
      assert.equal(printedCode(await runCli(tuf("rotate-root", "--offline", partial))), "EW_ERR_TUF_THRESHOLD");

      // A new top-level targets version moves the hash bins to a new online releases key.
      assert.equal(printedCode(await runCli(tuf("sign-targets", "--offline", partial))), "EW_ERR_TUF_THRESHOLD");
      const oldReleases = before["releasesKeyId"] as unknown as string;
      const targets = (await cli(
        tuf("sign-targets", "--offline", keys, "--new-releases-key"),
      )) as unknown as RoleStatus;
      assert.equal(targets.version, 2);
      const after = await cli(tuf("status"));
      assert.notEqual(after["releasesKeyId"], oldReleases);
      assert.equal((after["snapshot"] as RoleStatus).version, 3, "init, the publish, then the re-sign");

      // Root 3 replaces the online snapshot and timestamp keys (after a server compromise).
      const onlineKey = (role: string) => ["--new-online-key", role];
      const badRole = await runCli(tuf("rotate-root", "--offline", keys, "--new-keys", "1", ...onlineKey("releases")));
      assert.equal(printedCode(badRole), "EW_ERR_USAGE");
      assert.equal((await readdir(keys)).length, 4, "refused before any key was made");
      const root3 = await cli(
        tuf("rotate-root", "--offline", keys, ...onlineKey("timestamp"), ...onlineKey("snapshot")),
      );
      assert.equal(root3["version"], 3);
      const rotated = await cli(tuf("status"));
      for (const role of ["snapshot", "timestamp"])
        assert.notDeepEqual((rotated[role] as RoleStatus).keys, (after[role] as RoleStatus).keys, role);
      assert.deepEqual((await readdir(join(hubDir, "tuf"))).sort(), ["releases.pem", "snapshot.pem", "timestamp.pem"]);

      // The hub restarted with its new keys; a device that only ever saw root 1 follows to root 3.
      await openRepository(hubDir, view);
      await publishBytes(view, "classifier/1.0.1", randomBytes(100));
      const client = await makeClient(view, join(dir.path, "device"), root1);
      await client.updater.refresh();
      const trusted = JSON.parse(await readFile(join(dir.path, "device", "metadata", "root.json"), "utf8")) as never;
      assert.equal(Metadata.fromJSON(MetadataKind.Root, trusted).signed.version, 3);
      const info = await client.updater.getTargetInfo("classifier/1.0.0");
      assert.ok(info);
      assert.deepEqual(await readFile(await client.updater.downloadTarget(info, join(client.targetDir, "m"))), payload);
      assert.ok(await client.updater.getTargetInfo("classifier/1.0.1"));

      // A root 4 signed by one of root 3's two keys (written around the CLI) is refused by the client.
      const root3Json = JSON.parse(Buffer.from(await view.repo.metadata("3.root.json")).toString()) as {
        signed: object;
      };
      const forged = Metadata.fromJSON(MetadataKind.Root, {
        signed: { ...root3Json.signed, version: 4 },
        signatures: [],
      });
      forged.sign(importTufSigner(await readFile(join(keys, "root-3.pem"), "utf8")).sign);
      const fresh = await makeClient(view, join(dir.path, "device2"), root1);
      fresh.fetcher.override = (name) =>
        name === "4.root.json" ? Buffer.from(JSON.stringify(forged.toJSON())) : undefined;
      // tuf-js: "root was signed by 1/2 keys" (TUF 1.0 §5.3.4 against root 3's threshold of 2).
      await assert.rejects(fresh.updater.refresh(), /signed by 1\/2/);
    } finally {
      await view.close?.();
    }

    // Both changes are in the audit log.
    const hub = await openHub({ dir: hubDir });
    try {
      const reader = hub.deps.audit.reader;
      const size = (await reader.checkpoint()).size;
      const kinds = await Promise.all(
        [size - 2, size - 1].map(async (i) => Buffer.from(await reader.entry(i)).toString("utf8")),
      );
      assert.match(kinds[0]!, /tuf\.targets\.sign/);
      assert.match(kinds[1]!, /tuf\.root\.rotate/);
    } finally {
      await hub.deps.audit.close();
      await hub.deps.store.close();
    }
  });
});
