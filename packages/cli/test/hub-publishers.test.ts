// The hub accepts a release only with an OMS bundle a publisher it trusts signed (docs/releases.md, "Publisher
// keys"): `hub init --publisher-key`, `hub publishers add`, GET /v1/hub publishing the keys, against a real serve.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { HubClient } from "@edgeward/hub";
import { printedCode, rejectsWithCode, runCli, startServe, tempDir } from "@edgeward/testkit";
import { cliJson } from "./helpers/cli-hub.ts";

const run = promisify(execFile);

describe("edgeward hub publishers", () => {
  it("refuses a release no trusted publisher signed, until its key is added; GET /v1/hub lists the keys", async () => {
    using dir = tempDir("edgeward-cli-publishers-");
    const hubDir = join(dir.path, "hub");
    for (const who of ["alice", "mallory"]) await cliJson(["sign-keygen", "-o", join(dir.path, who), "--json"]);
    const alicePub = join(dir.path, "alice.pub");
    assert.equal(
      printedCode(await runCli(["hub", "init", "--dir", hubDir, "--publisher-key", join(dir.path, "alice.key")])),
      "EW_ERR_SIG_KEY_INVALID",
      "a private key is not a publisher key",
    );
    const init = await cliJson(["hub", "init", "--dir", hubDir, "--publisher-key", alicePub, "--json"]);
    const listed = (await cliJson(["hub", "publishers", "list", "--dir", hubDir, "--json"])) as unknown as {
      id: string;
    }[];
    assert.equal(listed.length, 1);
    assert.deepEqual(init["publisherKeys"], [listed[0]!.id]);
    const token = String(
      (await cliJson(["hub", "token", "create", "--dir", hubDir, "--role", "publisher", "--json"]))["token"],
    );
    const file = join(dir.path, "update.bin");
    await writeFile(file, randomBytes(2000));
    const serve = await startServe(["--dir", hubDir, "--listen", "127.0.0.1:0"]);
    try {
      const ca = String(init["caCertificate"]);
      const publish = (who: string, version: string) =>
        runCli([
          ...["model", "publish", file, "--name", "update", "--version", version, "--kind", "package", "--unsealed"],
          ...["--sign", join(dir.path, `${who}.key`), "--hub", serve.url, "--ca", ca, "--token", token, "--json"],
        ]);
      const ok = await publish("alice", "1.0.0");
      assert.equal(ok.status, 0, ok.stderr);
      assert.equal(printedCode(await publish("mallory", "1.0.1")), "EW_ERR_RELEASE_PUBLISHER_UNTRUSTED");

      // A manifest whose bundle is not OMS at all, straight to the operator API.
      const client = new HubClient({ url: serve.url, token, ca: await readFile(ca, "utf8") });
      const manifest = {
        ...{ name: "update", version: "1.0.2", kind: "package", groups: [], length: 1, sha256: "ab".repeat(32) },
        bundle: Buffer.from(JSON.stringify({ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json" })).toString(
          "base64",
        ),
      };
      await rejectsWithCode(client.post("/v1/releases", manifest), "EW_ERR_RELEASE_BUNDLE_INVALID");

      // Mallory's key added on the hub's machine: the running hub accepts her next release, and says so at /v1/hub.
      const addMallory = ["hub", "publishers", "add", join(dir.path, "mallory.pub"), "--dir", hubDir, "--json"];
      assert.equal((await cliJson(addMallory))["added"], true);
      assert.equal((await cliJson(addMallory))["added"], false, "adding a trusted key again changes nothing");
      const retried = await publish("mallory", "1.0.3");
      assert.equal(retried.status, 0, retried.stderr);
      // curl as an outside client of GET /v1/hub.
      const facts = JSON.parse((await run("curl", ["-sS", "--cacert", ca, `${serve.url}/v1/hub`])).stdout) as {
        publisherKeys: string[];
      };
      const pems = await Promise.all(["alice.pub", "mallory.pub"].map((f) => readFile(join(dir.path, f), "utf8")));
      assert.deepEqual([...facts.publisherKeys].sort(), pems.sort());
    } finally {
      assert.equal(await serve.stop(), 0);
    }
  });
});
