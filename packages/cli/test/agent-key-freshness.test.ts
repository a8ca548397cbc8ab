import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { filesHolding, servingRelease, syntheticMatMulModel, tempDir } from "@edgeward/testkit";
import { hubAndDevice, type HubAndDevice } from "./helpers/hub-in-process.ts";

// Key release after a fresh pass (ARCHITECTURE.md promise 7), checked from outside a real `edgeward agent run`
// process on a swtpm device: the hub alone judges freshness (its group policy, 10 minutes by default). When the
// cycle's own pass is fresh the agent asks for the key without a second quote; when the hub says the pass is stale
// (EW_ERR_KEY_RELEASE_NOT_FRESH) the agent attests again and asks once more, and the model serves.
const N = 20;
const models = [syntheticMatMulModel(N, 3), syntheticMatMulModel(N, 4)];
const AHEAD_MS = 11 * 60_000;

describe("the agent's key release follows the hub's freshness rule (swtpm)", { timeout: 300_000 }, () => {
  const dir = tempDir("edgeward-key-freshness-");
  let aheadMs = 0;
  // Set by the test: the hub's clock jumps past the freshness window once the next pass has gone out.
  let jumpAfterPass = false;
  // The hub's answers to key requests: the status and, for a refusal, its code.
  const keyAnswers: string[] = [];
  let fleet: HubAndDevice;

  before(async () => {
    fleet = await hubAndDevice(dir.path, "line-f", {
      clock: { now: () => new Date(Date.now() + aheadMs) },
      onSend: async (request, reply, payload) => {
        if (jumpAfterPass && request.url === "/v1/device/attest/quote" && reply.statusCode === 200) {
          jumpAfterPass = false;
          aheadMs = AHEAD_MS;
        }
        if (/^\/v1\/device\/releases\/[^/]+\/key$/.test(request.url)) {
          const code = typeof payload === "string" ? /"code":"(EW_ERR_[A-Z_]+)"/.exec(payload)?.[1] : undefined;
          keyAnswers.push(`${reply.statusCode}${code === undefined ? "" : ` ${code}`}`);
        }
        return payload;
      },
    });
  });
  after(async () => {
    await fleet?.close();
    dir[Symbol.dispose]();
  });

  /** The device-log kinds from entry `from` on: attestations and the steps of `subject`'s update, in order. */
  const steps = (from: number, subject: string) =>
    fleet
      .deviceLog()
      .slice(from)
      .filter((e) => e.kind.startsWith("attest.") || e.subject === subject)
      .map((e) => e.kind);
  /** Serving begins just before the install entry is written (after the floor is raised), so wait for both. */
  const installed = async (agent: Awaited<ReturnType<HubAndDevice["agent"]>>, version: string) => {
    await agent.until(`matmul/${version} to serve`, async () => (await servingRelease(agent)) === `matmul/${version}`);
    await agent.until("the install entry", () =>
      fleet.deviceLog().some((e) => e.kind === "update.install" && e.subject === `model:matmul@${version}`),
    );
  };

  it("a fresh pass from the cycle is enough: one quote, then the key", async () => {
    await fleet.publish(models[0]!, "matmul", "1");
    const from = fleet.deviceLog().length;
    const agent = await fleet.agent(["matmul/1"], 60_000);
    try {
      await installed(agent, "1");
      assert.deepEqual(steps(from, "model:matmul@1"), ["attest.pass", "key.release", "update.install"]);
      assert.deepEqual(keyAnswers, ["200"]);
    } finally {
      await agent.stop();
    }
  });

  it("a pass the hub calls stale gets a new quote before the key is asked for again", async () => {
    await fleet.publish(models[1]!, "matmul", "2");
    const from = fleet.deviceLog().length;
    jumpAfterPass = true;
    const agent = await fleet.agent(["matmul/2"], 60_000);
    try {
      await installed(agent, "2");
      assert.deepEqual(steps(from, "model:matmul@2"), ["attest.pass", "attest.pass", "key.release", "update.install"]);
      assert.match(keyAnswers[1] ?? "", / EW_ERR_KEY_RELEASE_NOT_FRESH$/);
      assert.equal(keyAnswers[2], "200");
      assert.equal(keyAnswers.length, 3);
    } finally {
      await agent.stop();
    }
    assert.deepEqual(filesHolding([fleet.state, fleet.hub.dir], models[1]!), []);
  });
});
