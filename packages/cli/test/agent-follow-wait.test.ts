// A followed release arrives between attestations (docs/agent.md "Following releases"): a real hub process, a swtpm
// device and `edgeward agent run` that attests only every ten minutes. Its long poll on the hub's listing brings each
// release rolled out to its group within seconds, published or rolled out later, with no further attestation
// (the first pass is still fresh for key release), and nothing rolled out to another group wakes it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { adminArgs, edgewardJson, servingRelease, tempDir, type AgentProcess } from "@edgeward/testkit";
import { startFollowFleet, type FollowFleet } from "./helpers/follow-fleet.ts";

/** Far longer than the test: only the long poll can bring an update in time. */
const INTERVAL_MS = 600_000;
/** A release must serve this soon after its publication or rollout. */
const WITHIN_MS = 15_000;

describe("an agent woken by the hub's long poll between attestations (real hub, swtpm)", { timeout: 300_000 }, () => {
  const dir = tempDir("edgeward-follow-wait-");
  let fleet: FollowFleet;
  let agent: AgentProcess;
  // Passes in the device log once version 1 serves (enrolment's and the first cycle's).
  let passes = 0;
  const attestations = () => fleet.device.deviceLog().filter((e) => e.kind === "attest.pass").length;
  const servingWithin = async (release: string, ms: number) => {
    const t0 = Date.now();
    await agent.until(`${release} to serve`, async () => (await servingRelease(agent)) === release, ms, 20);
    return Date.now() - t0;
  };

  before(async () => {
    fleet = await startFollowFleet(dir.path);
    await fleet.publish("1");
    agent = await fleet.device.agent([], INTERVAL_MS, ["matmul"]);
    // The first cycle attests and installs version 1; from here on no cycle runs during the test.
    await servingWithin("matmul/1", 60_000);
    passes = attestations();
  });
  after(async () => {
    await fleet?.device.close();
    dir[Symbol.dispose]();
  });

  it("serves a version published after its cycle within seconds, with no second attestation", async () => {
    const pass = fleet.device
      .deviceLog()
      .filter((e) => e.kind === "attest.pass")
      .at(-1);
    assert.equal(pass?.details["renewed"], false, "a certificate with most of its life left is not renewed");
    await fleet.publish("2");
    const took = await servingWithin("matmul/2", WITHIN_MS);
    assert.ok(took < WITHIN_MS, `${took} ms`);
    assert.equal(attestations(), passes, "the update came without a cycle");
    const released = fleet.device.deviceLog().filter((e) => e.kind === "key.release" && e.subject === "model:matmul@2");
    assert.equal(released.length, 1, "the key was released on the first pass, still fresh");
  });

  it("is not woken by a release for another group, and takes it once it is rolled out to its own", async () => {
    const v3 = String((await fleet.publish("3", "line-b"))["id"]);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(await servingRelease(agent), "matmul/2");
    assert.ok(!fleet.device.deviceLog().some((e) => e.subject?.includes("matmul@3")));
    await edgewardJson([
      "hub",
      "releases",
      "rollout",
      v3,
      "--groups",
      "line-a,line-b",
      ...adminArgs(fleet.hub, fleet.url),
    ]);
    await servingWithin("matmul/3", WITHIN_MS);
    assert.equal(attestations(), passes);
  });
});
