import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { Agent, hubLink, parseConfig, readRuntimeStatus, stateLayout } from "@edgeward/agent";
import { Tpm2ToolsDevice } from "@edgeward/tpm";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import {
  filesHolding,
  filesUnder,
  readDeviceLog,
  startSwtpm,
  syntheticMatMulModel,
  tempDir,
  type ServeProcess,
  type Swtpm,
} from "@edgeward/testkit";
import { CLI_BIN, printedCode, runCli } from "./helpers/cli.ts";
import { cliJson, startCliHub, type CliHub } from "./helpers/cli-hub.ts";

const N = 48;
const model = syntheticMatMulModel(N, 5);
const x = Array.from({ length: N }, (_, i) => (i % 5) / 5 + 0.271828);
const input = JSON.stringify({ x: { type: "float32", dims: [1, N], data: x } });

// The agent against a real hub process (`edgeward hub serve`) on a swtpm device: enrolment by one-time token,
// ActivateCredential, certify evidence, the first attestation and the device certificate.
describe("edgeward agent enrol against a running hub (swtpm)", { timeout: 300_000 }, () => {
  const dir = tempDir("edgeward-agent-hub-");
  const hubDir = join(dir.path, "hub");
  const state = join(dir.path, "state");
  let tpm: Swtpm;
  let serve: ServeProcess;
  let init: CliHub["init"];
  let hub: CliHub;
  const admin = () => hub.admin();
  const json = cliJson;

  before(async () => {
    tpm = await startSwtpm();
    hub = await startCliHub(hubDir, "line-a");
    ({ serve, init } = hub);
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

  it("renews its certificate by attesting, also when by its clock the certificate has already expired", async () => {
    const layout = stateLayout(state);
    const before = readFileSync(layout.certificate, "utf8");
    const expiry = new Date(new X509Certificate(before).validTo);
    // Just past the old certificate's end, before the renewed one's (issued seconds later with the same lifetime).
    const later = () => new Date(expiry.getTime() + 1_000);
    const link = hubLink({ now: later });
    const agent = await Agent.start({
      tpm: new Tpm2ToolsDevice({ tcti: tpm.tcti }),
      layout,
      config: parseConfig({ hubIntervalMs: 60_000 }),
    });
    try {
      await link.cycle(agent);
    } finally {
      await link.close();
      await agent.close();
    }
    const after = readFileSync(layout.certificate, "utf8");
    assert.notEqual(after, before, "a new certificate was issued on the attestation");
    assert.equal((await readRuntimeStatus(layout)).lastAttestation?.result, "pass");
  });

  it("the daemon takes a release through TUF, key release and the log proof, serves it, refuses a rollback, and a tamper quarantines it", async () => {
    const outside = tempDir("edgeward-publisher-");
    try {
      writeFileSync(join(outside.path, "model.onnx"), model);
      await json(["sign-keygen", "-o", join(outside.path, "publisher"), "--json"]);
      await json(["hub", "publishers", "add", join(outside.path, "publisher.pub"), "--dir", hubDir, "--json"]);
      const publisher = (await json(["hub", "token", "create", "--dir", hubDir, "--role", "publisher", "--json"])) as {
        token: string;
      };
      writeFileSync(join(outside.path, "fw.bin"), "firmware image v1\n");
      await json([
        ...["model", "publish", join(outside.path, "fw.bin"), "--hub", serve.url, "--ca", init.caCertificate],
        ...["--token", publisher.token, "--name", "fw", "--version", "1", "--group", "line-a", "--kind", "package"],
        ...["--unsealed", "--sign", join(outside.path, "publisher.key"), "--json"],
      ]);
      // A package the install command fails on (it exits 3 for an image that says "broken").
      writeFileSync(join(outside.path, "fw-broken.bin"), "broken firmware image\n");
      await json([
        ...["model", "publish", join(outside.path, "fw-broken.bin"), "--hub", serve.url, "--ca", init.caCertificate],
        ...["--token", publisher.token, "--name", "fwbroken", "--version", "1", "--group", "line-a"],
        ...["--kind", "package", "--unsealed", "--sign", join(outside.path, "publisher.key"), "--json"],
      ]);
      for (const version of ["1", "2"])
        await json([
          ...["model", "publish", join(outside.path, "model.onnx"), "--hub", serve.url, "--ca", init.caCertificate],
          ...["--token", publisher.token, "--name", "matmul", "--version", version, "--group", "line-a"],
          ...["--sign", join(outside.path, "publisher.key"), "--json"],
        ]);
    } finally {
      outside[Symbol.dispose]();
    }
    const config = join(dir.path, "agent.yaml");
    // Version 2, then an attempted rollback to 1: the TPM floor refuses it whatever TUF says.
    const installed = join(dir.path, "installed.sha256");
    writeFileSync(
      config,
      `track: [matmul/2, matmul/1, fw/1, fwbroken/1]\nhubIntervalMs: 1000\nauditIntervalMs: 1000\n` +
        `installCommand: [sh, -c, 'f=$(mktemp); cat > "$f"; if grep -q broken "$f"; then exit 3; fi; sha256sum < "$f" > ${installed}']\n`,
    );
    const sock = join(dir.path, "agent.sock");
    const child: ChildProcess = spawn(
      process.execPath,
      [CLI_BIN, "agent", "--tcti", tpm.tcti, "run", "--state", state, "--listen", `unix:${sock}`, "--config", config],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let err = "";
    child.stderr?.on("data", (c: Buffer) => (err += c.toString()));
    const curl = (path: string, body?: string) => {
      const args = ["-s", "-m", "5", "--unix-socket", sock, "-w", "\n%{http_code}", `http://agent${path}`];
      if (body !== undefined) args.push("-H", "content-type: application/json", "--data-binary", "@-");
      const out = execFileSync("curl", args, { input: body ?? "", encoding: "utf8" });
      const nl = out.lastIndexOf("\n");
      return {
        status: Number(out.slice(nl + 1)),
        json: JSON.parse(out.slice(0, nl) || "{}") as Record<string, unknown>,
      };
    };
    try {
      let health = { status: 0, json: {} as Record<string, unknown> };
      for (let i = 0; i < 300 && health.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        if (!err.includes("listening on")) continue;
        health = curl("/healthz");
      }
      assert.equal(health.status, 200, `${JSON.stringify(health.json)}\n${err}`);
      const res = curl("/v1/infer", input);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json["model"], { name: "matmul", version: "2" });
      let status: Record<string, unknown> = {};
      for (
        let i = 0;
        i < 50 && (status["runtime"] as { lastError?: unknown } | undefined)?.lastError === undefined;
        i++
      ) {
        await new Promise((r) => setTimeout(r, 100));
        status = await json(["agent", "--tcti", tpm.tcti, "status", "--state", state, "--json"]);
      }
      assert.equal(status["floor"], "2");
      assert.equal((status["runtime"] as { lastError: { code: string } }).lastError.code, "EW_ERR_AGENT_FLOOR");
      assert.deepEqual(curl("/v1/infer", input).json["model"], { name: "matmul", version: "2" }, "still serving 2");
      // The daemon runs the audit of its state directory and the hub keeps it for the operator.
      const audit = () => runCli(["hub", "devices", "audit", String(status["deviceId"]), ...admin()]);
      let held = await audit();
      for (let i = 0; i < 100 && held.status !== 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        held = await audit();
      }
      assert.equal(held.status, 0, `${held.stderr}\n${err}`);
      const report = (JSON.parse(held.stdout.toString("utf8")) as { report: { deviceId: string } }).report;
      assert.equal(report.deviceId, status["deviceId"]);
      // The package went to the install command on its stdin, after the same checks.
      const want = createHash("sha256").update("firmware image v1\n").digest("hex");
      assert.equal(readFileSync(installed, "utf8").split(" ")[0], want);
      // The package whose install command failed: refused with its code in the device log, the floor not raised.
      const failed = readDeviceLog(state).find((e) => e.kind === "update.refuse" && e.subject === "package:fwbroken@1");
      assert.equal(failed?.details["code"], "EW_ERR_AGENT_INSTALL_FAILED", JSON.stringify(failed));
      await json(["agent", "--tcti", tpm.tcti, "tamper", "--state", state, "--json"]);
      let device: Record<string, unknown> = {};
      for (let i = 0; i < 20 && device["state"] !== "quarantined"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        device = await json(["hub", "devices", "show", String(status["deviceId"]), ...admin()]);
      }
      assert.equal(device["state"], "quarantined");
      assert.equal(curl("/healthz").json["code"], "EW_ERR_AGENT_TAMPERED");
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
    }
    const raw = Buffer.from(Float32Array.from(x).buffer);
    for (const secret of [model, Buffer.from(input), raw]) assert.deepEqual(filesHolding([state, hubDir], secret), []);
    // Every file the agent's commands and libraries made (tuf-js's metadata, the device log's SQLite files) is the
    // agent's alone, though this test runs it outside systemd with the usual umask 022.
    const open = filesUnder(state).filter((f) => (statSync(f).mode & 0o077) !== 0);
    assert.deepEqual(open, []);
  });
});
