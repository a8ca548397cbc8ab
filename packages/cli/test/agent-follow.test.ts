// Following releases end to end (docs/agent.md "Following releases"): a real hub process (`edgeward hub serve`),
// a swtpm device enrolled by token, and `edgeward agent run` with `follow: [matmul]` and no `track`. Each
// `model publish` to the device's group is taken with no configuration change; a version rolled out to another
// group is not; a lower version is never installed, and once it is all the hub offers, the TPM floor refuses it.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readRuntimeStatus, stateLayout } from "@edgeward/agent";
import {
  adminArgs,
  createFleetGroup,
  edgewardJson,
  initFleetHub,
  publishModel,
  servingRelease,
  startAgentProcess,
  startFleetDevice,
  startServe,
  syntheticMatMulModel,
  tempDir,
  type AgentProcess,
  type FleetDevice,
  type FleetHub,
} from "@edgeward/testkit";

const N = 16;
const input = JSON.stringify({
  x: { type: "float32", dims: [1, N], data: Array.from({ length: N }, (_, i) => i / N) },
});

describe("an agent that follows a release name (real hub, swtpm)", { timeout: 300_000 }, () => {
  const dir = tempDir("edgeward-follow-");
  let hub: FleetHub;
  let url: string;
  let device: FleetDevice;
  let agent: AgentProcess;
  let v2 = "";
  const model = join(dir.path, "matmul.onnx");
  const signKey = join(dir.path, "publisher", "publisher.key");
  const publish = (version: string, group = hub.group) =>
    publishModel({ ...hub, group }, url, model, "matmul", version, signKey);

  before(async () => {
    writeFileSync(model, syntheticMatMulModel(N, 3));
    hub = await initFleetHub(join(dir.path, "hub"), "line-a");
    const serve = await startServe(["--dir", hub.dir, "--listen", "127.0.0.1:0"]);
    url = serve.url;
    device = await startFleetDevice(hub, url, dir.path, () => serve.stop());
    await createFleetGroup({ ...hub, group: "line-b" }, url);
    const publisherKey = readFileSync(join(dir.path, "publisher", "publisher.pub"), "utf8")
      .trim()
      .split("\n");
    const config = join(dir.path, "follow.yaml");
    const yaml = ["follow: [matmul]", "hubIntervalMs: 300", "publisherKey: |", ...publisherKey.map((l) => `  ${l}`)];
    writeFileSync(config, [...yaml, ""].join("\n"));
    await publish("1");
    agent = await startAgentProcess({
      tcti: device.tpm.tcti,
      state: device.state,
      sock: join(dir.path, "a.sock"),
      config,
    });
  });
  after(async () => {
    await agent?.stop();
    await device?.close();
    dir[Symbol.dispose]();
  });

  const serving = () => servingRelease(agent);

  it("serves version 1 once published, with no track in its configuration", async () => {
    await agent.until("matmul/1 to serve", async () => (await serving()) === "matmul/1");
    const res = await agent.call("/v1/infer", input);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json["model"], { name: "matmul", version: "1" });
  });

  it("takes version 2 after `model publish`, and not version 3, rolled out to another group", async () => {
    await publish("3", "line-b");
    v2 = String((await publish("2"))["id"]);
    await agent.until("matmul/2 to serve", async () => (await serving()) === "matmul/2");
    const cycles = agent.stderr().length;
    // A few more hub cycles: version 3 is never taken (the hub does not list it for line-a).
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await serving(), "matmul/2");
    assert.ok(!agent.stderr().slice(cycles).includes("matmul@3"), agent.stderr());
    const subjects = device.deviceLog().map((e) => e.subject);
    assert.ok(!subjects.some((s) => s?.includes("matmul@3")), subjects.join());
  });

  it("never installs a lower version published later; once it is all the hub offers, the floor refuses it", async () => {
    const lower = await publish("1.5");
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await serving(), "matmul/2", "a lower version is not taken while 2 is listed");
    // The operator withdraws version 2 from the group: the hub now lists 1.5 and 1, both below the TPM floor (2).
    assert.equal(lower["published"], true);
    await edgewardJson(["hub", "releases", "rollout", v2, "--groups", "", ...adminArgs(hub, url)]);
    await agent.until("the floor to refuse the rollback", () =>
      device
        .deviceLog()
        .some(
          (e) =>
            e.kind === "update.refuse" &&
            e.subject === "follow:matmul" &&
            (e.details as Record<string, unknown>)["code"] === "EW_ERR_AGENT_FLOOR",
        ),
    );
    await agent.until(
      "status.json to show the refusal",
      async () => (await readRuntimeStatus(stateLayout(device.state))).lastError?.code === "EW_ERR_AGENT_FLOOR",
    );
    assert.equal(await serving(), "matmul/2", "still serving");
  });
});
