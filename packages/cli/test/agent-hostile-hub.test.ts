import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { generateIdentity, type ErrorCode } from "@edgeward/core";
import { buildApp, createHubLogger, openHub, type OpenedHub } from "@edgeward/hub";
import { decodeAuditEvent } from "@edgeward/tlog";
import {
  createFleetGroup,
  enrolDevice,
  filesHoldingFragments,
  initFleetHub,
  publisherKeys,
  publishModel,
  servingRelease,
  startAgentProcess,
  startSwtpm,
  syntheticMatMulModel,
  tempDir,
  type AgentProcess,
  type FleetHub,
  type Swtpm,
} from "@edgeward/testkit";

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
  const state = join(dir.path, "state");
  let spoil: Spoil | undefined;
  let hub: FleetHub;
  let opened: OpenedHub;
  let app: FastifyInstance;
  let url: string;
  let tpm: Swtpm;
  let agent: AgentProcess;
  let signKey: string;
  const stranger = generateIdentity("p256");

  before(async () => {
    hub = await initFleetHub(join(dir.path, "hub"), "line-h");
    opened = await openHub({ dir: hub.dir, logger: createHubLogger({ level: "warn" }) });
    app = await buildApp(opened.deps, { https: opened.tls });
    app.addHook("onSend", async (request, reply, payload) => spoiled(request.url, reply, payload));
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    url = `https://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
    await createFleetGroup(hub, url);
    tpm = await startSwtpm();
    const enrolled = await enrolDevice(hub, url, tpm.tcti, state);
    assert.equal(enrolled.status, 0, enrolled.stderr);
    const keys = await publisherKeys(join(dir.path, "publisher"));
    signKey = keys.key;
    for (const [i, m] of models.entries()) writeFileSync(join(dir.path, `m${i + 1}.onnx`), m);
    await publishModel(hub, url, join(dir.path, "m1.onnx"), "matmul", "1", signKey);
    const config = join(dir.path, "agent.yaml");
    writeFileSync(config, "track: [matmul/1, matmul/2]\nhubIntervalMs: 200\n");
    agent = await startAgentProcess({ tcti: tpm.tcti, state, sock: join(dir.path, "agent.sock"), config });
    await agent.until("matmul/1 to serve", async () => (await servingRelease(agent)) === "matmul/1", 120_000);
  });
  after(async () => {
    await agent?.stop();
    await app?.close();
    await tpm?.stop();
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
    else answer.header = (await opened.deps.releases!.rewrap(decodeURIComponent(release), stranger.recipient)).header;
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
      if (i === 0) await publishModel(hub, url, join(dir.path, "m2.onnx"), "matmul", "2", signKey);
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
      assert.deepEqual(filesHoldingFragments([state, hub.dir], secret), []);
  });

  /** The codes of every update.refuse entry for matmul@2 in the device's own log, in order. */
  function refusals(): string[] {
    const db = new DatabaseSync(join(state, "log", "device-log.db"), { readOnly: true });
    try {
      const rows = db.prepare("SELECT data FROM tlog_entries ORDER BY idx").all() as { data: Uint8Array }[];
      return rows
        .map((r) => decodeAuditEvent(r.data))
        .filter((e) => e.kind === "update.refuse" && e.subject === "model:matmul@2")
        .map((e) => (typeof e.details["code"] === "string" ? e.details["code"] : ""));
    } finally {
      db.close();
    }
  }
});

async function bytesOf(payload: unknown): Promise<Buffer> {
  if (typeof payload === "string" || payload instanceof Uint8Array) return Buffer.from(payload);
  const parts: Buffer[] = [];
  for await (const c of payload as Readable) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}
