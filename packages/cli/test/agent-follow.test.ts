// Following releases end to end (docs/agent.md "Following releases"): a real hub process (`edgeward hub serve`),
// a swtpm device enrolled by token, and `edgeward agent run` with `follow: [matmul]` and no `track`. Each
// `model publish` to the device's group is taken with no configuration change; a version rolled out to another
// group is not; a lower version is never installed, and once it is all the hub offers, the TPM floor refuses it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readRuntimeStatus, stateLayout } from "@edgeward/agent";
import { adminArgs, edgewardJson, servingRelease, tempDir, type AgentProcess } from "@edgeward/testkit";
import { startFollowFleet, type FollowFleet } from "./helpers/follow-fleet.ts";

const N = 16;
const input = JSON.stringify({
  x: { type: "float32", dims: [1, N], data: Array.from({ length: N }, (_, i) => i / N) },
});

describe("an agent that follows a release name (real hub, swtpm)", { timeout: 300_000 }, () => {
  const dir = tempDir("edgeward-follow-");
  let fleet: FollowFleet;
  let agent: AgentProcess;
  let v2 = "";

  before(async () => {
    fleet = await startFollowFleet(dir.path);
    await fleet.publish("1");
    agent = await fleet.device.agent([], 300, ["matmul"]);
  });
  after(async () => {
    await fleet?.device.close();
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
    await fleet.publish("3", "line-b");
    v2 = String((await fleet.publish("2"))["id"]);
    await agent.until("matmul/2 to serve", async () => (await serving()) === "matmul/2");
    const cycles = agent.stderr().length;
    // A few more hub cycles: version 3 is never taken (the hub does not list it for line-a).
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await serving(), "matmul/2");
    assert.ok(!agent.stderr().slice(cycles).includes("matmul@3"), agent.stderr());
    const subjects = fleet.device.deviceLog().map((e) => e.subject);
    assert.ok(!subjects.some((s) => s?.includes("matmul@3")), subjects.join());
  });

  it("never installs a lower version published later; once it is all the hub offers, the floor refuses it", async () => {
    const lower = await fleet.publish("1.5");
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await serving(), "matmul/2", "a lower version is not taken while 2 is listed");
    // The operator withdraws version 2 from the group: the hub now lists 1.5 and 1, both below the TPM floor (2).
    assert.equal(lower["published"], true);
    await edgewardJson(["hub", "releases", "rollout", v2, "--groups", "", ...adminArgs(fleet.hub, fleet.url)]);
    await agent.until("the floor to refuse the rollback", () =>
      fleet.device
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
      async () => (await readRuntimeStatus(stateLayout(fleet.device.state))).lastError?.code === "EW_ERR_AGENT_FLOOR",
    );
    assert.equal(await serving(), "matmul/2", "still serving");
  });
});
