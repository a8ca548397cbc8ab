import assert from "node:assert/strict";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import ort from "onnxruntime-node";
import { generateSigningKey } from "@edgeward/core";
import { provisionDevice, ReleaseStore, stateLayout, writePrivateFile, type DeviceRecord } from "@edgeward/agent";
import { filesHolding, sealedRelease, startSwtpm, syntheticMatMulModel, tempDir, type Swtpm } from "@edgeward/testkit";
import { APPLICATION_PCR, Tpm2ToolsDevice } from "@edgeward/tpm";
import { CLI_BIN } from "./helpers/cli.ts";

// `edgeward agent run` as a device runs it: a real process on swtpm, serving over a Unix socket to curl.
const N = 32;
const model = syntheticMatMulModel(N, 4);
const x = Array.from({ length: N }, (_, i) => (i % 7) / 7 + 0.123456);
const input = JSON.stringify({ x: { type: "float32", dims: [1, N], data: x } });

describe("edgeward agent run (swtpm, curl over a Unix socket)", { timeout: 180_000 }, () => {
  let tpm: Swtpm;
  const dir = tempDir("edgeward-agent-run-");
  const state = join(dir.path, "state");
  const sock = join(dir.path, "agent.sock");
  const gpio = join(dir.path, "sys", "gpio17", "value");
  const config = join(dir.path, "agent.yaml");
  let daemon: { child: ChildProcess; stderr: () => string } | undefined;

  before(async () => {
    tpm = await startSwtpm();
    const layout = stateLayout(state);
    const record: DeviceRecord = await provisionDevice(new Tpm2ToolsDevice({ tcti: tpm.tcti }), layout);
    const publisher = generateSigningKey();
    const r = await sealedRelease(model, record.recipient, "matmul", publisher.privateKeyPem);
    const store = new ReleaseStore(layout);
    await store.saveMeta({
      releaseId: "r1",
      name: "matmul",
      version: "1",
      floor: "1",
      kind: "model",
      targetName: "matmul/1",
      length: r.payload.length,
      sha256: r.sha256,
      omsBundle: JSON.parse(JSON.stringify(r.bundle)) as unknown,
    });
    await writePrivateFile(store.paths("r1").payload, r.payload);
    await store.saveHeader("r1", r.header);
    await writePrivateFile(layout.current, JSON.stringify({ current: "r1" }));
    mkdirSync(join(dir.path, "sys", "gpio17"), { recursive: true });
    writeFileSync(gpio, "0\n");
    writeFileSync(join(dir.path, "publisher.pub"), publisher.publicKeyPem);
    writeFileSync(
      config,
      [
        `publisherKey: |`,
        ...publisher.publicKeyPem
          .trim()
          .split("\n")
          .map((l) => `  ${l}`),
        `tamper:`,
        `  - { type: value-file, name: case-switch, path: ${gpio}, normal: 0 }`,
        "",
      ].join("\n"),
    );
  });
  after(async () => {
    daemon?.child.kill("SIGKILL");
    await tpm?.stop();
    dir[Symbol.dispose]();
  });

  async function start(): Promise<void> {
    const child = spawn(
      process.execPath,
      [CLI_BIN, "agent", "--tcti", tpm.tcti, "run", "--state", state, "--listen", `unix:${sock}`, "--config", config],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let err = "";
    child.stderr?.on("data", (c: Buffer) => (err += c.toString()));
    daemon = { child, stderr: () => err };
    for (let i = 0; i < 600 && !err.includes("listening on"); i++) {
      if (child.exitCode !== null) assert.fail(`the agent exited: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(err, /listening on/);
  }

  async function stop(): Promise<void> {
    const child = daemon?.child;
    if (child === undefined) return;
    const exited = new Promise<number | null>((r) => child.once("exit", r));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    daemon = undefined;
  }

  const curl = (path: string, body?: string): { status: number; json: Record<string, unknown> } => {
    const args = ["-s", "--unix-socket", sock, "-w", "\n%{http_code}", `http://agent${path}`];
    if (body !== undefined) args.push("-H", "content-type: application/json", "--data-binary", "@-");
    const out = execFileSync("curl", args, { input: body ?? "", encoding: "utf8" });
    const nl = out.lastIndexOf("\n");
    return { status: Number(out.slice(nl + 1)), json: JSON.parse(out.slice(0, nl)) as Record<string, unknown> };
  };

  it("serves the stored release after a restart without the hub, with the outputs ONNX Runtime gives", async () => {
    await start();
    const res = curl("/v1/infer", input);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const s = await ort.InferenceSession.create(new Uint8Array(model));
    const want = await s.run({ x: new ort.Tensor("float32", Float32Array.from(x), [1, N]) });
    const outputs = res.json["outputs"] as { y: { data: number[] } };
    assert.deepEqual(outputs.y.data, Array.from(want["y"]?.data as Float32Array));
    assert.deepEqual(res.json["model"], { name: "matmul", version: "1" });
    await s.release();
    await stop();
  });

  it("after a boot change it does not open the release and says why; after a reboot it serves again", async () => {
    await new Tpm2ToolsDevice({ tcti: tpm.tcti }).pcrExtend(APPLICATION_PCR, Buffer.from("boot change"));
    await start();
    assert.match(daemon?.stderr() ?? "", /EW_ERR_AGENT_BOOT_CHANGED/);
    assert.deepEqual([curl("/healthz").status, curl("/healthz").json["code"]], [503, "EW_ERR_AGENT_NO_MODEL"]);
    await stop();
    await tpm.reboot();
    await start();
    assert.equal(curl("/healthz").status, 200);
  });

  it("a case switch stops serving with EW_ERR_AGENT_TAMPERED, and nothing it wrote holds the model or the input", async () => {
    writeFileSync(gpio, "1\n");
    let res = curl("/healthz");
    for (let i = 0; i < 100 && res.status !== 503; i++) {
      await new Promise((r) => setTimeout(r, 20));
      res = curl("/healthz");
    }
    assert.deepEqual([res.status, res.json["code"]], [503, "EW_ERR_AGENT_TAMPERED"]);
    assert.equal(curl("/v1/infer", input).json["code"], "EW_ERR_AGENT_TAMPERED");
    await stop();
    const raw = Buffer.from(Float32Array.from(x).buffer);
    for (const secret of [model, Buffer.from(input), raw]) assert.deepEqual(filesHolding([dir.path], secret), []);
  });
});
