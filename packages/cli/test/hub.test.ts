import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { printedCode, runCli, startServe, tempDir } from "@edgeward/testkit";

async function ok(args: string[]): Promise<unknown> {
  const r = await runCli(args);
  assert.equal(r.status, 0, `edgeward ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout.toString("utf8"));
}

describe("edgeward hub", () => {
  it("init, serve, and the operator client against the running hub", async () => {
    using dir = tempDir("edgeward-cli-hub-");
    const hubDir = join(dir.path, "hub");
    const init = (await ok(["hub", "init", "--dir", hubDir, "--json"])) as {
      adminToken: string;
      caCertificate: string;
      hubUrl: string;
    };
    assert.match(init.adminToken, /^ewt_/);
    assert.equal(printedCode(await runCli(["hub", "init", "--dir", hubDir])), "EW_ERR_HUB_DIR_EXISTS");
    const serve = await startServe(["--dir", hubDir, "--listen", "127.0.0.1:0"]);
    try {
      const as = (token: string) => ["--hub", serve.url, "--token", token, "--ca", init.caCertificate, "--json"];
      const admin = as(init.adminToken);
      assert.deepEqual(await ok(["hub", "devices", "list", ...admin]), []);
      const group = (await ok(["hub", "groups", "create", "line-a", ...admin])) as { name: string; version: number };
      assert.equal(group.name, "line-a");
      const enrol = (await ok(["hub", "enrol-token", "--group", "line-a", ...admin])) as {
        enrolToken: string;
        expiresAt: string;
      };
      assert.match(enrol.enrolToken, /^ewe_/);
      const cp = (await ok(["hub", "log", "checkpoint", ...admin])) as { size: number; checkpoint: string };
      assert.ok(cp.size >= 3, "init, group.create and enrol-token.create are logged");
      const proof = (await ok(["hub", "log", "proof", "--index", String(cp.size - 1), ...admin])) as {
        treeSize: number;
      };
      assert.equal(proof.treeSize, cp.size);
      assert.equal(
        printedCode(await runCli(["hub", "devices", "show", "nope", ...admin])),
        "EW_ERR_HUB_DEVICE_NOT_FOUND",
      );
      assert.equal(
        printedCode(await runCli(["hub", "devices", "list", ...as("ewt_wrong")])),
        "EW_ERR_HUB_TOKEN_INVALID",
      );
      const viewer = (await ok(["hub", "token", "create", "--dir", hubDir, "--role", "viewer", "--json"])) as {
        token: string;
      };
      assert.equal(printedCode(await runCli(["hub", "enrol-token", ...as(viewer.token)])), "EW_ERR_HUB_FORBIDDEN");
      const listed = (await ok(["hub", "tokens", "list", ...admin])) as { id: string; role: string }[];
      const viewerId = listed.find((t) => t.role === "viewer")!.id;
      await ok(["hub", "tokens", "revoke", viewerId, ...admin]);
      assert.equal(
        printedCode(await runCli(["hub", "devices", "list", ...as(viewer.token)])),
        "EW_ERR_HUB_TOKEN_REVOKED",
      );
      const noCa = await runCli(["hub", "devices", "list", "--hub", serve.url, "--token", init.adminToken]);
      assert.equal(printedCode(noCa), "EW_ERR_HUB_UNREACHABLE", "without --ca the hub's certificate is not trusted");
    } finally {
      assert.equal(await serve.stop(), 0, "serve exits cleanly on SIGTERM");
    }
  });
});
