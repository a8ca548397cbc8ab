import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startServe, startSwtpm, tempDir, type ServeProcess, type Swtpm } from "@edgeward/testkit";
import { printedCode, runCli } from "./helpers/cli.ts";

// The agent against a real hub process (`edgeward hub serve`) on a swtpm device: enrolment by one-time token,
// ActivateCredential, certify evidence, the first attestation and the device certificate.
describe("edgeward agent enrol against a running hub (swtpm)", { timeout: 180_000 }, () => {
  const dir = tempDir("edgeward-agent-hub-");
  const hubDir = join(dir.path, "hub");
  const state = join(dir.path, "state");
  let tpm: Swtpm;
  let serve: ServeProcess;
  let init: { adminToken: string; caCertificate: string };
  const json = async (args: string[]): Promise<Record<string, unknown>> => {
    const r = await runCli(args);
    assert.equal(r.status, 0, `edgeward ${args.join(" ")}: ${r.stderr}`);
    return JSON.parse(r.stdout.toString("utf8")) as Record<string, unknown>;
  };
  const admin = () => ["--hub", serve.url, "--token", init.adminToken, "--ca", init.caCertificate, "--json"];

  before(async () => {
    tpm = await startSwtpm();
    init = (await json(["hub", "init", "--dir", hubDir, "--json"])) as typeof init;
    serve = await startServe(["--dir", hubDir, "--listen", "127.0.0.1:0"]);
    const policy = join(dir.path, "policy.json");
    writeFileSync(
      policy,
      JSON.stringify({
        autoApprove: true,
        learn: true,
        attestPcrs: "sha256:0,7,14",
        unwrapPolicy: { pcrs: "sha256:7,14", digests: [] },
      }),
    );
    await json(["hub", "groups", "create", "line-a", "--policy", policy, ...admin()]);
  });
  after(async () => {
    await serve?.stop();
    await tpm?.stop();
    dir[Symbol.dispose]();
  });

  it("enrols by token, attests, stores its certificate; status shows it; a reused token is refused", async () => {
    const { enrolToken } = (await json(["hub", "enrol-token", "--group", "line-a", ...admin()])) as {
      enrolToken: string;
    };
    const agent = ["agent", "--tcti", tpm.tcti, "enrol", "--hub", serve.url, "--ca", init.caCertificate];
    const r = await json([...agent, "--token", enrolToken, "--state", state, "--json"]);
    assert.equal(r["state"], "trusted");
    const attestation = r["attestation"] as { result: string; certificate?: string };
    assert.equal(attestation.result, "pass");
    assert.match(attestation.certificate ?? "", /BEGIN CERTIFICATE/);
    const status = await json(["agent", "--tcti", tpm.tcti, "status", "--state", state, "--json"]);
    assert.equal(status["deviceId"], r["deviceId"]);
    assert.equal((status["certificate"] as { expired: boolean }).expired, false);
    const devices = (await json(["hub", "devices", "list", ...admin()])) as unknown as Array<{ id: string }>;
    assert.deepEqual(
      devices.map((d) => d.id),
      [r["deviceId"]],
    );
    const again = await runCli([...agent, "--token", enrolToken, "--state", join(dir.path, "state2")]);
    assert.equal(printedCode(again), "EW_ERR_AGENT_HUB_REFUSED");
    assert.match(again.stderr, /EW_ERR_/);
  });

  it("refuses a hub URL whose certificate the given CA did not sign, and a second enrolment of one state", async () => {
    await json(["hub", "init", "--dir", join(dir.path, "hub2"), "--json"]);
    const r = await runCli([
      "agent",
      "--tcti",
      tpm.tcti,
      "enrol",
      "--hub",
      serve.url,
      "--ca",
      join(dir.path, "hub2", "ca", "ca.pem"),
      "--token",
      "ewe_x",
      "--state",
      join(dir.path, "state3"),
    ]);
    assert.equal(printedCode(r), "EW_ERR_AGENT_HUB_UNREACHABLE");
    const twice = await runCli([
      "agent",
      "--tcti",
      tpm.tcti,
      "enrol",
      "--hub",
      serve.url,
      "--ca",
      init.caCertificate,
      "--token",
      "ewe_x",
      "--state",
      state,
    ]);
    assert.equal(printedCode(twice), "EW_ERR_AGENT_STATE");
  });
});
