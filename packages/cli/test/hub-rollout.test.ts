// `edgeward hub releases rollout` against a real `edgeward hub serve`: publishers and admins move a release between
// device groups over the operator API (POST /v1/releases/ID/rollout); other roles are refused with their code.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { printedCode, runCli, startServe, tempDir } from "@edgeward/testkit";
import { cliJson } from "./helpers/cli-hub.ts";

describe("edgeward hub releases rollout", () => {
  it("a publisher and an admin set a release's groups; a viewer and an operator are refused", async () => {
    using dir = tempDir("edgeward-cli-rollout-");
    const hubDir = join(dir.path, "hub");
    const init = await cliJson(["hub", "init", "--dir", hubDir, "--json"]);
    const token = async (role: string) =>
      String((await cliJson(["hub", "token", "create", "--dir", hubDir, "--role", role, "--json"]))["token"]);
    const [publisher, viewer, operator] = [await token("publisher"), await token("viewer"), await token("operator")];
    await cliJson(["sign-keygen", "-o", join(dir.path, "publisher"), "--json"]);
    await cliJson(["hub", "publishers", "add", join(dir.path, "publisher.pub"), "--dir", hubDir, "--json"]);
    const file = join(dir.path, "agent-update.bin");
    await writeFile(file, randomBytes(3000));
    const serve = await startServe(["--dir", hubDir, "--listen", "127.0.0.1:0"]);
    try {
      const as = (t: string) => ["--hub", serve.url, "--token", t, "--ca", String(init["caCertificate"])];
      await cliJson(["hub", "groups", "create", "line-a", ...as(String(init["adminToken"])), "--json"]);
      const release = await cliJson([
        ...["model", "publish", file, "--name", "agent", "--version", "2.0.0", "--kind", "package", "--unsealed"],
        ...["--sign", join(dir.path, "publisher.key"), "--group", "default", ...as(publisher), "--json"],
      ]);
      const id = String(release["id"]);
      const rollout = (t: string, groups: string, ...more: string[]) =>
        runCli(["hub", "releases", "rollout", id, "--groups", groups, ...as(t), ...more]);

      const moved = await cliJson([
        "hub",
        "releases",
        "rollout",
        id,
        "--groups",
        "default, line-a",
        ...as(publisher),
        "--json",
      ]);
      assert.deepEqual(moved["groups"], ["default", "line-a"]);
      const shown = await cliJson(["hub", "releases", "show", id, ...as(viewer), "--json"]);
      assert.deepEqual(shown["groups"], ["default", "line-a"]);

      const text = await rollout(String(init["adminToken"]), "");
      assert.equal(text.status, 0, text.stderr);
      assert.equal(text.stdout.toString("utf8").trim(), `agent@2.0.0 (${id}) is rolled out to no group.`);
      assert.deepEqual((await cliJson(["hub", "releases", "show", id, ...as(viewer), "--json"]))["groups"], []);

      assert.equal(printedCode(await rollout(viewer, "line-a")), "EW_ERR_HUB_FORBIDDEN");
      assert.equal(printedCode(await rollout(operator, "line-a")), "EW_ERR_HUB_FORBIDDEN");
      assert.equal(printedCode(await rollout("ewt_wrong", "line-a")), "EW_ERR_HUB_TOKEN_INVALID");
      assert.equal(printedCode(await rollout(publisher, "no such group!")), "EW_ERR_RELEASE_INVALID");
      const missing = await runCli(["hub", "releases", "rollout", "nope", "--groups", "a", ...as(publisher)]);
      assert.equal(printedCode(missing), "EW_ERR_RELEASE_NOT_FOUND");
      assert.deepEqual((await cliJson(["hub", "releases", "show", id, ...as(viewer), "--json"]))["groups"], []);
    } finally {
      assert.equal(await serve.stop(), 0);
    }
  });
});
