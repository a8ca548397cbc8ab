import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  adminArgs,
  createFleetGroup,
  edgewardJson,
  enrolDevice,
  filesHolding,
  initFleetHub,
  printedCode,
  publisherKeys,
  publishModel,
  runNodeScript,
  servingRelease,
  startAgentProcess,
  startServe,
  startSwtpm,
  swtpmLocalCa,
  syntheticMatMulModel,
  tempDir,
  type FleetHub,
  type ServeProcess,
  type Swtpm,
} from "@edgeward/testkit";

// Enrolment by EK certificate against a real hub process (`edgeward hub serve`) whose only TPM manufacturer CA is
// this test process's swtpm_localca (docs/hub.md "Init": --ek-ca; ARCHITECTURE.md "The flows" 2). A device whose EK
// certificate that CA signed enrols without any token, attests, and gets a release's key; a device made by another
// manufacturer (a swtpm provisioned under another process's local CA) is refused.
describe("edgeward agent enrol --ek-cert against a hub trusting swtpm_localca (swtpm)", { timeout: 300_000 }, () => {
  const dir = tempDir("edgeward-ek-cert-");
  let hub: FleetHub;
  let serve: ServeProcess;
  let tpm: Swtpm;

  before(async () => {
    const ca = await swtpmLocalCa();
    writeFileSync(join(dir.path, "ek-root.pem"), ca.rootPem);
    writeFileSync(join(dir.path, "ek-issuer.pem"), ca.intermediatePem);
    // Devices that enrol by EK certificate join the hub's default group.
    hub = await initFleetHub(join(dir.path, "hub"), "default", [
      join(dir.path, "ek-root.pem"),
      join(dir.path, "ek-issuer.pem"),
    ]);
    serve = await startServe(["--dir", hub.dir, "--listen", "127.0.0.1:0"]);
    await createFleetGroup(hub, serve.url);
    tpm = await startSwtpm({ ekCert: "unique" });
  });
  after(async () => {
    await serve?.stop();
    await tpm?.stop();
    dir[Symbol.dispose]();
  });

  it("enrols a device by its EK certificate alone, attests it, and releases a model's key to it", async () => {
    const state = join(dir.path, "state");
    const r = await enrolDevice(hub, serve.url, tpm.tcti, state, "ek-cert");
    assert.equal(r.status, 0, r.stderr);
    const enrolled = JSON.parse(r.stdout.toString("utf8")) as {
      deviceId: string;
      state: string;
      attestation: { result: string };
    };
    assert.equal(enrolled.state, "trusted");
    assert.equal(enrolled.attestation.result, "pass");
    const keys = await publisherKeys(join(dir.path, "publisher"), hub);
    const model = syntheticMatMulModel(16, 2);
    writeFileSync(join(dir.path, "model.onnx"), model);
    await publishModel(hub, serve.url, join(dir.path, "model.onnx"), "matmul", "1", keys.key);
    const config = join(dir.path, "agent.yaml");
    writeFileSync(config, "track: [matmul/1]\nhubIntervalMs: 200\n");
    const agent = await startAgentProcess({ tcti: tpm.tcti, state, sock: join(dir.path, "agent.sock"), config });
    try {
      await agent.until("matmul/1 to serve", async () => (await servingRelease(agent)) === "matmul/1", 120_000);
    } finally {
      await agent.stop();
    }
    assert.deepEqual(filesHolding([state, hub.dir], model), []);
    // No token was made: the device joined the group EK-certified devices join, and the hub trusts it.
    const device = await edgewardJson(["hub", "devices", "show", enrolled.deviceId, ...adminArgs(hub, serve.url)]);
    assert.equal(device["group"], "default");
    assert.equal(device["state"], "trusted");
  });

  it("refuses a device whose EK certificate another manufacturer's CA signed", async () => {
    // Another process has its own swtpm_localca: its TPM's EK certificate chains to a root this hub never saw.
    const script = [
      'import { startSwtpm, runCli } from "@edgeward/testkit";',
      "const [url, ca, state] = process.argv.slice(1);",
      'const tpm = await startSwtpm({ ekCert: "unique" });',
      "try {",
      '  const r = await runCli(["agent", "--tcti", tpm.tcti, "enrol", "--hub", url, "--ca", ca, "--ek-cert", "--state", state]);',
      "  process.stderr.write(r.stderr); process.exitCode = r.status;",
      "} finally { await tpm.stop(); }",
    ].join("\n");
    const r = await runNodeScript("--input-type=module", [
      "-e",
      script,
      serve.url,
      hub.caCertificate,
      join(dir.path, "state-foreign"),
    ]);
    assert.notEqual(r.status, 0);
    assert.equal(printedCode(r), "EW_ERR_AGENT_HUB_REFUSED", r.stderr);
    assert.match(r.stderr, /: EW_ERR_TPM_EK_CERT_CHAIN \(POST \/v1\/device\/enrol\)/);
  });
});
