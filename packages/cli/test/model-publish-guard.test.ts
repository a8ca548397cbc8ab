// `edgeward model publish --guard` against a real `edgeward hub serve` (docs/releases.md, "A guard in a release"):
// the shipped guard file and its MLP travel sealed under the release's file key, the CNN (the release model) is
// not shipped twice, the hub holds only ciphertext, and one header opens both payloads — the age CLI with the
// hub's X25519 escrow identity, and our opener after a re-wrap for a device.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { generateIdentity, openToMemory, parseIdentities } from "@edgeward/core";
import { unpackGuardBundle } from "@edgeward/guard";
import { openHub } from "@edgeward/hub";
import { printedCode, runCli, startServe, tempDir } from "@edgeward/testkit";
import { cliJson } from "./helpers/cli-hub.ts";

const MODELS = fileURLToPath(new URL("../../guard/models/", import.meta.url));
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("edgeward model publish --guard", () => {
  it("ships guard.yaml and mlp.onnx sealed with cnn.onnx; the hub keeps ciphertext and one header opens both", async () => {
    using dir = tempDir("edgeward-cli-guard-");
    const hubDir = join(dir.path, "hub");
    const init = await cliJson(["hub", "init", "--dir", hubDir, "--json"]);
    const publisher = await cliJson(["hub", "token", "create", "--dir", hubDir, "--role", "publisher", "--json"]);
    await cliJson(["sign-keygen", "-o", join(dir.path, "publisher"), "--json"]);
    await cliJson(["hub", "publishers", "add", join(dir.path, "publisher.pub"), "--dir", hubDir, "--json"]);
    // A copy of the guard whose MLP is changed by one byte: refused before anything is sent.
    const bad = join(dir.path, "bad");
    await mkdir(bad);
    await copyFile(join(MODELS, "guard.yaml"), join(bad, "guard.yaml"));
    const mlp = await readFile(join(MODELS, "mlp.onnx"));
    const changed = Buffer.from(mlp);
    changed[1000] = (changed[1000] ?? 0) ^ 1;
    await writeFile(join(bad, "mlp.onnx"), changed);

    const serve = await startServe(["--dir", hubDir, "--listen", "127.0.0.1:0"]);
    let release: Record<string, unknown>;
    try {
      const args = (version: string, guard: string, ...more: string[]) => [
        "model",
        "publish",
        join(MODELS, "cnn.onnx"),
        "--hub",
        serve.url,
        "--ca",
        String(init["caCertificate"]),
        "--token",
        String(publisher["token"]),
        "--name",
        "fashion",
        "--version",
        version,
        "--sign",
        join(dir.path, "publisher.key"),
        "--group",
        "default",
        "--guard",
        guard,
        ...more,
      ];
      assert.equal(
        printedCode(await runCli(args("1.0.0", join(bad, "guard.yaml"), "--json"))),
        "EW_ERR_GUARD_MODEL_DIGEST",
      );
      assert.equal(
        printedCode(await runCli(args("1.0.0", join(MODELS, "guard.yaml"), "--kind", "package", "--json"))),
        "EW_ERR_USAGE",
      );
      assert.equal(printedCode(await runCli(args("1.0.0", join(dir.path, "none.yaml"), "--json"))), "EW_ERR_IO");
      const text = await runCli(args("0.9.0", join(MODELS, "guard.yaml")));
      assert.equal(text.status, 0, text.stderr.toString());
      assert.match(text.stdout.toString(), /ships guard\.yaml, mlp\.onnx \(cnn\.onnx: the release model itself\)/);
      release = await cliJson(args("1.0.0", join(MODELS, "guard.yaml"), "--json"));
    } finally {
      assert.equal(await serve.stop(), 0);
    }
    assert.equal(release["published"], true);
    const guard = release["guard"] as {
      configSha256: string;
      sha256: string;
      length: number;
      uploaded: boolean;
      target: string;
    };
    assert.equal(guard.configSha256, sha256(await readFile(join(MODELS, "guard.yaml"))));
    assert.equal(guard.uploaded, true);
    assert.equal(guard.target, "fashion/1.0.0.guard");

    // Never plaintext in the hub's blobs: no 64-byte window of either model or of the guard file.
    const blobNames = (await readdir(join(hubDir, "blobs"), { recursive: true })).filter((n) =>
      /[0-9a-f]{64}$/.test(n),
    );
    const cnn = await readFile(join(MODELS, "cnn.onnx"));
    const guardYaml = await readFile(join(MODELS, "guard.yaml"));
    for (const name of blobNames) {
      const blob = await readFile(join(hubDir, "blobs", name));
      for (const plain of [cnn, mlp, guardYaml]) {
        for (let at = 0; at + 64 <= plain.length; at += 8192) {
          assert.equal(blob.indexOf(plain.subarray(at, at + 64)), -1, name);
        }
      }
    }

    const guardPayload = await readFile(join(hubDir, "blobs", guard.sha256.slice(0, 2), guard.sha256));
    assert.equal(guardPayload.length, guard.length);
    const hub = await openHub({ dir: hubDir });
    try {
      const releases = hub.deps.releases!;
      const record = await releases.find(String(release["id"]));
      const escrowHeader = Buffer.from(record?.header ?? "", "base64");
      // The age CLI, with the hub's X25519 escrow identity, opens header + guard payload: a standard age file.
      await writeFile(join(dir.path, "guard.age"), Buffer.concat([escrowHeader, guardPayload]));
      const viaAge = execFileSync("age", [
        "-d",
        "-i",
        join(hubDir, "escrow", "identity.txt"),
        join(dir.path, "guard.age"),
      ]);
      // The device's way: the header re-wrapped to its age1tag1 recipient opens the guard payload too.
      const device = generateIdentity("p256");
      const answer = await releases.rewrap(String(release["id"]), device.recipient);
      const opened = await openToMemory(
        Buffer.concat([Buffer.from(answer.header, "base64"), guardPayload]),
        parseIdentities(device.identityText),
      );
      assert.ok(Buffer.from(opened).equals(viaAge));
      const files = unpackGuardBundle(opened);
      assert.deepEqual([...files.keys()], ["guard.yaml", "mlp.onnx"]);
      assert.ok(Buffer.from(files.get("guard.yaml") ?? []).equals(guardYaml));
      assert.ok(Buffer.from(files.get("mlp.onnx") ?? []).equals(mlp));
    } finally {
      await hub.deps.audit.close();
      await hub.deps.store.close();
    }
  });

  it("--help names --guard", async () => {
    const help = await runCli(["model", "publish", "--help"]);
    assert.match(help.stdout.toString(), /--guard <file>/);
  });
});
