import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { initHub } from "../src/hubdir/init.ts";
import { createHubLogger, openHub } from "@edgeward/hub";
import { serveHub } from "../src/bin.ts";
import { httpsJson } from "./helpers/https.ts";

const run = promisify(execFile);
const quiet = () => createHubLogger({ level: "silent" });

/** `openssl s_client` as an outside TLS peer, with stdin closed so it ends after the handshake. */
function sClient(port: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const p = run("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, ...args], { timeout: 10_000 });
  p.child.stdin?.end();
  return p;
}

describe("hub directory: init and serve", () => {
  it("init writes secrets 0600, refuses to run twice without --force, and serves HTTPS that trusts only its CA", async () => {
    using dir = tempDir("edgeward-hubdir-");
    const hubDir = join(dir.path, "hub");
    const result = await initHub({ dir: hubDir, now: new Date() });
    for (const f of [
      "ca/ca.key",
      "tls/server.key",
      "log/log.key",
      "escrow/identity.txt",
      "tuf/timestamp.pem",
      "offline/root-1.pem",
      "hub.json",
    ])
      assert.equal(statSync(join(hubDir, f)).mode & 0o777, 0o600, `${f} is 0600`);
    assert.match(result.adminToken, /^ewt_/);
    assert.match(result.escrowRecipient, /^age1/);
    assert.ok(
      !readFileSync(join(hubDir, "hub.json"), "utf8").includes(result.adminToken),
      "the token is stored hashed only",
    );
    await rejectsWithCode(initHub({ dir: hubDir, now: new Date() }), "EW_ERR_HUB_DIR_EXISTS");

    const hub = await serveHub({ dir: hubDir, listen: "127.0.0.1:0", logger: quiet() });
    try {
      const ca = readFileSync(result.caCertificate, "utf8");
      const facts = await httpsJson(`${hub.url}/v1/hub`, { ca });
      assert.equal(facts.status, 200);
      const parsed = JSON.parse(facts.body) as { logVerifierKey: string; tufRoot: { signed: { _type: string } } };
      assert.equal(parsed.logVerifierKey, result.logVerifierKey);
      assert.equal(parsed.tufRoot.signed._type, "root");
      const devices = await httpsJson(`${hub.url}/v1/devices`, {
        ca,
        headers: { authorization: `Bearer ${result.adminToken}` },
      });
      assert.equal(devices.status, 200);
      // Outside clients: curl trusting the CA succeeds; TLS 1.1 is refused (openssl as the peer).
      const { port } = new URL(hub.url);
      const curl = await run("curl", ["-sS", "--cacert", result.caCertificate, `https://localhost:${port}/healthz`]);
      assert.equal((JSON.parse(curl.stdout) as { status: string }).status, "ok");
      await assert.rejects(
        run("curl", ["-sS", `https://localhost:${port}/healthz`]),
        "curl without the CA refuses the hub",
      );
      const old = await sClient(port, ["-tls1_1"]).catch((e: { stdout?: string; stderr?: string }) => e);
      const oldText = `${old.stdout ?? ""}${old.stderr ?? ""}`;
      assert.match(oldText, /Cipher is \(NONE\)|no protocols available/, "no TLS 1.1 session was established");
      const modern = await sClient(port, ["-tls1_2", "-CAfile", result.caCertificate]);
      assert.match(String(modern.stdout), /Verify return code: 0/);
    } finally {
      await hub.close();
    }
    const again = await initHub({ dir: hubDir, now: new Date(), force: true });
    assert.notEqual(again.adminToken, result.adminToken);

    // EK CA certificates given at init (a root and one it issued, in one bundle) are trusted by the device side.
    const second = join(dir.path, "second");
    const bundle =
      readFileSync(join(hubDir, "ca", "ca.pem"), "utf8") + readFileSync(join(hubDir, "tls", "server.pem"), "utf8");
    await initHub({ dir: second, now: new Date(), ekCertificates: [bundle] });
    assert.deepEqual(readdirSync(join(second, "ek-ca")).sort(), ["ek-ca-1.pem", "ek-ca-2.pem"]);
    const opened = await openHub({ dir: second, logger: quiet() });
    assert.ok(opened.deps.device !== undefined, "serve wires the device side");
    await opened.deps.audit.close();
    await opened.deps.store.close();
    const third = join(dir.path, "third");
    await rejectsWithCode(
      initHub({ dir: third, now: new Date(), ekCertificates: ["not a certificate"] }),
      "EW_ERR_USAGE",
    );
    await initHub({ dir: third, now: new Date() }); // the refused init wrote nothing, so no --force is needed
  });

  it("serve refuses a directory without a finished init, and a malformed --listen", async () => {
    using dir = tempDir("edgeward-hubdir-");
    await rejectsWithCode(
      serveHub({ dir: dir.path, listen: "127.0.0.1:0", logger: quiet() }),
      "EW_ERR_HUB_DIR_INVALID",
    );
    await rejectsWithCode(serveHub({ dir: dir.path, listen: "nonsense", logger: quiet() }), "EW_ERR_USAGE");
  });
});
