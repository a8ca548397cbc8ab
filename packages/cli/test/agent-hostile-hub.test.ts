import assert from "node:assert/strict";
import type { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { generateIdentity, type ErrorCode } from "@edgeward/core";
import { filesHolding, servingRelease, syntheticMatMulModel, tempDir } from "@edgeward/testkit";
import type { AgentProcess } from "@edgeward/testkit";
import { hubAndDevice, type HubAndDevice } from "./helpers/hub-in-process.ts";

// A real `edgeward agent run` process on a swtpm device against a hub whose answers the test tampers with on the way
// out (a Fastify onSend hook on the real hub app, listening over HTTPS as `hub serve` does): ARCHITECTURE.md
// "The flows" 4 and 7 checked from outside the agent. Each answer the hub spoils for version 2 is refused with its
// code, the refusal is in the device log, and version 1 keeps answering inferences; once the hub answers honestly,
// version 2 installs.
type Spoil = "truncate" | "flip" | "proof" | "header";

const N = 24;
const models = [syntheticMatMulModel(N, 3), syntheticMatMulModel(N, 4)];
const input = JSON.stringify({
  x: { type: "float32", dims: [1, N], data: Array.from({ length: N }, (_, i) => i / N) },
});

describe("edgeward agent run against a hub whose answers are tampered with (swtpm)", { timeout: 300_000 }, () => {
  const dir = tempDir("edgeward-hostile-hub-");
  let spoil: Spoil | undefined;
  let fleet: HubAndDevice;
  let agent: AgentProcess;
  const stranger = generateIdentity("p256");

  before(async () => {
    fleet = await hubAndDevice(dir.path, "line-h", {
      onSend: async (request, reply, payload) => spoiled(request.url, reply, payload),
    });
    await fleet.publish(models[0]!, "matmul", "1");
    agent = await fleet.agent(["matmul/1", "matmul/2"], 200);
    await agent.until("matmul/1 to serve", async () => (await servingRelease(agent)) === "matmul/1", 120_000);
  });
  after(async () => {
    await fleet?.close();
    dir[Symbol.dispose]();
  });

  /** The hook: spoils the answer the current case names, and passes every other one through. */
  async function spoiled(path: string, reply: { removeHeader(name: string): unknown }, payload: unknown) {
    if (spoil === "truncate" || spoil === "flip") {
      if (!path.startsWith("/v1/device/targets/")) return payload;
      const body = await bytesOf(payload);
      reply.removeHeader("content-length");
      if (spoil === "truncate") return body.subarray(0, body.length >> 1);
      body[body.length >> 1] = (body[body.length >> 1] ?? 0) ^ 0x40;
      return body;
    }
    const release = /^\/v1\/device\/releases\/([^/]+)\/key$/.exec(path)?.[1];
    if (release === undefined || spoil === undefined || typeof payload !== "string") return payload;
    const answer = JSON.parse(payload) as { header: string; inclusionProof: { hashes: string[] } };
    // A proof whose path leads to another root, or the same release's header re-wrapped for another device.
    if (spoil === "proof") answer.inclusionProof.hashes = ["00".repeat(32), ...answer.inclusionProof.hashes];
    else
      answer.header = (
        await fleet.served.opened.deps.releases!.rewrap(decodeURIComponent(release), stranger.recipient)
      ).header;
    return JSON.stringify(answer);
  }

  const cases: [string, Spoil, ErrorCode][] = [
    ["a download cut short", "truncate", "EW_ERR_AGENT_DOWNLOAD_INCOMPLETE"],
    ["ciphertext whose SHA-256 is not the TUF target's", "flip", "EW_ERR_AGENT_TARGET_MISMATCH"],
    ["a key answer without a valid inclusion proof", "proof", "EW_ERR_AGENT_RELEASE_PROOF"],
    ["a device header for another device", "header", "EW_ERR_AGE_NO_IDENTITY"],
  ];
  for (const [i, [what, how, code]] of cases.entries()) {
    it(`refuses ${what} with ${code}, logs it, and keeps serving version 1`, async () => {
      const seen = agent.stderr().length;
      const logged = refusals().length;
      spoil = how;
      // Version 2 is published while the hub is already hostile, so the agent never saw an honest answer for it.
      if (i === 0) await fleet.publish(models[1]!, "matmul", "2");
      await agent.until(`${code} from the agent`, () => agent.stderr().slice(seen).includes(`hub cycle: ${code}`));
      const answer = await agent.call("/v1/infer", input);
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json["model"], { name: "matmul", version: "1" });
      const codes = refusals().slice(logged);
      assert.ok(codes.includes(code), `device log refusals ${codes.join(", ")}`);
    });
  }

  it("installs version 2 once the hub answers honestly; no plaintext model or input is on disk", async () => {
    spoil = undefined;
    await agent.until("matmul/2 to serve", async () => (await servingRelease(agent)) === "matmul/2", 120_000);
    assert.deepEqual((await agent.call("/v1/infer", input)).json["model"], { name: "matmul", version: "2" });
    await agent.stop();
    for (const secret of [...models, Buffer.from(input)])
      assert.deepEqual(filesHolding([fleet.state, fleet.hub.dir], secret), []);
  });

  /** The codes of every update.refuse entry for matmul@2 in the device's own log, in order. */
  function refusals(): string[] {
    return fleet
      .deviceLog()
      .filter((e) => e.kind === "update.refuse" && e.subject === "model:matmul@2")
      .map((e) => (typeof e.details["code"] === "string" ? e.details["code"] : ""));
  }
});

async function bytesOf(payload: unknown): Promise<Buffer> {
  if (typeof payload === "string" || payload instanceof Uint8Array) return Buffer.from(payload);
  const parts: Buffer[] = [];
  for await (const c of payload as Readable) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}
