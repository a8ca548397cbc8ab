// A followed release arrives between attestations (docs/agent.md "Following releases"): a real hub process, a swtpm
// device and `edgeward agent run` that attests only every ten minutes. Its long poll on the hub's listing brings each
// release rolled out to its group within seconds, published or rolled out later, with no further attestation
// (the first pass is still fresh for key release), and nothing rolled out to another group wakes it.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
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

/** Far longer than the test: only the long poll can bring an update in time. */
const INTERVAL_MS = 600_000;
/** A release must serve this soon after its publication or rollout. */
const WITHIN_MS = 15_000;

describe("an agent woken by the hub's long poll between attestations (real hub, swtpm)", { timeout: 300_000 }, () => {
  const dir = tempDir("edgeward-follow-wait-");
  let hub: FleetHub;
  let url: string;
  let device: FleetDevice;
  let agent: AgentProcess;
  // Passes in the device log once version 1 serves (enrolment's and the first cycle's).
  let passes = 0;
  const model = join(dir.path, "matmul.onnx");
  const signKey = join(dir.path, "publisher", "publisher.key");
  const publish = (version: string, group = hub.group) =>
    publishModel({ ...hub, group }, url, model, "matmul", version, signKey);
  const attestations = () => device.deviceLog().filter((e) => e.kind === "attest.pass").length;
  const servingWithin = async (release: string, ms: number) => {
    const t0 = Date.now();
    await agent.until(`${release} to serve`, async () => (await servingRelease(agent)) === release, ms, 20);
    return Date.now() - t0;
  };

  before(async () => {
    writeFileSync(model, syntheticMatMulModel(16, 3));
    hub = await initFleetHub(join(dir.path, "hub"), "line-a");
    const serve = await startServe(["--dir", hub.dir, "--listen", "127.0.0.1:0"]);
    url = serve.url;
    device = await startFleetDevice(hub, url, dir.path, () => serve.stop());
    await createFleetGroup({ ...hub, group: "line-b" }, url);
    const publisherKey = readFileSync(join(dir.path, "publisher", "publisher.pub"), "utf8")
      .trim()
      .split("\n");
    const config = join(dir.path, "follow.yaml");
    const yaml = ["follow: [matmul]", `hubIntervalMs: ${INTERVAL_MS}`, "publisherKey: |"];
    writeFileSync(config, [...yaml, ...publisherKey.map((l) => `  ${l}`), ""].join("\n"));
    await publish("1");
    agent = await startAgentProcess({
      tcti: device.tpm.tcti,
      state: device.state,
      sock: join(dir.path, "a.sock"),
      config,
    });
    // The first cycle attests and installs version 1; from here on no cycle runs during the test.
    await servingWithin("matmul/1", 60_000);
    passes = attestations();
  });
  after(async () => {
    await agent?.stop();
    await device?.close();
    dir[Symbol.dispose]();
  });

  it("serves a version published after its cycle within seconds, with no second attestation", async () => {
    const pass = device
      .deviceLog()
      .filter((e) => e.kind === "attest.pass")
      .at(-1);
    assert.equal(pass?.details["renewed"], false, "a certificate with most of its life left is not renewed");
    await publish("2");
    const took = await servingWithin("matmul/2", WITHIN_MS);
    assert.ok(took < WITHIN_MS, `${took} ms`);
    assert.equal(attestations(), passes, "the update came without a cycle");
    const released = device.deviceLog().filter((e) => e.kind === "key.release" && e.subject === "model:matmul@2");
    assert.equal(released.length, 1, "the key was released on the first pass, still fresh");
  });

  it("is not woken by a release for another group, and takes it once it is rolled out to its own", async () => {
    const v3 = String((await publish("3", "line-b"))["id"]);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(await servingRelease(agent), "matmul/2");
    assert.ok(!device.deviceLog().some((e) => e.subject?.includes("matmul@3")));
    await edgewardJson(["hub", "releases", "rollout", v3, "--groups", "line-a,line-b", ...adminArgs(hub, url)]);
    await servingWithin("matmul/3", WITHIN_MS);
    assert.equal(attestations(), passes);
  });
});
