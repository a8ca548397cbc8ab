// The review route's parser fuzzed with seeded mutations of a valid body (docs/agent.md "Review entries"): every
// answer is either the acknowledgement of an entry that really is an age file hashing to its SHA-256, or a 4xx
// with an EW_ERR_* code; never a 5xx, and nothing but age files is ever stored.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { LightMyRequestResponse } from "fastify";
import { generateIdentity, parseRecipient, sealStream, wire } from "@edgeward/core";
import { filesUnder, seededRandom } from "@edgeward/testkit";
import { isAgeFile } from "@edgeward/hub";
import { startTestHub, type TestHub } from "../helpers/hub.ts";

const SEED = 0x5e71e3;
const ROUNDS = 300;

/** A stand-in for the mTLS peer check (inject() has no socket): every request is device `cam-f`. */
const oneDeviceAuthMock = () => Promise.resolve({ deviceId: "cam-f" });

function mutate(body: Record<string, string>, random: () => number): unknown {
  const keys = Object.keys(body);
  const key = keys[Math.floor(random() * keys.length)]!;
  const value = body[key]!;
  switch (Math.floor(random() * 6)) {
    case 0: {
      // Flip one character of a field.
      const at = Math.floor(random() * value.length);
      const c = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-!"[Math.floor(random() * 68)]!;
      return { ...body, [key]: value.slice(0, at) + c + value.slice(at + 1) };
    }
    case 1:
      return { ...body, [key]: value.slice(0, Math.floor(random() * value.length)) };
    case 2: {
      const { [key]: _dropped, ...rest } = body;
      return rest;
    }
    case 3:
      return { ...body, [key]: random() < 0.5 ? 12 : null };
    case 4: {
      // Valid base64 of bytes that are not an age file, with their true digest.
      const bytes = Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.floor(random() * 256)),
      );
      return {
        ...body,
        ciphertext: bytes.toString("base64"),
        sha256: createHash("sha256").update(bytes).digest("hex"),
      };
    }
    default:
      return random() < 0.5 ? [body] : "not an object";
  }
}

function assertCoded(res: LightMyRequestResponse, what: string): void {
  if (res.statusCode === 200) return;
  assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${what}: HTTP ${res.statusCode} ${res.body}`);
  assert.match((JSON.parse(res.body) as { code: string }).code, /^EW_ERR_[A-Z0-9_]+$/, what);
}

describe("the review route under seeded mutations", () => {
  let hub: TestHub;
  let body: Record<string, string>;
  before(async () => {
    hub = await startTestHub({ deps: { deviceAuth: oneDeviceAuthMock } });
    const chunks: Uint8Array[] = [];
    const { recipient } = generateIdentity("x25519");
    for await (const c of sealStream([Buffer.from("input")], [parseRecipient(recipient)])) chunks.push(c);
    const ciphertext = Buffer.concat(chunks);
    body = {
      id: "001777636800000-0123456789ab",
      sha256: createHash("sha256").update(ciphertext).digest("hex"),
      ciphertext: ciphertext.toString("base64"),
    };
  });
  after(() => hub.close());

  it(`answers ${ROUNDS} mutated bodies with an acknowledgement or a coded 4xx, and stores only age files`, async () => {
    const random = seededRandom(SEED);
    for (let round = 0; round < ROUNDS; round++) {
      const payload = JSON.stringify(mutate(body, random));
      const res = await hub.app.inject({
        method: "POST",
        url: wire.REVIEW_ROUTES.ship.path,
        headers: { "content-type": "application/json" },
        payload,
      });
      assertCoded(res, `round ${round} seed ${SEED}: ${payload.slice(0, 160)}`);
    }
    const ids = "0123456789abcdef-/.%";
    for (let round = 0; round < 50; round++) {
      const id = Array.from({ length: Math.floor(random() * 40) }, () => ids[Math.floor(random() * ids.length)]).join(
        "",
      );
      const res = await hub.app.inject({ method: "GET", url: `/v1/review/cam-f/${id}`, headers: hub.auth("admin") });
      assert.ok(res.statusCode === 404 || res.statusCode === 400, `GET ${id}: ${res.statusCode}`);
    }
    for (const file of filesUnder(hub.deps.blobs.dir)) assert.ok(isAgeFile(readFileSync(file)), `${file} is not age`);
  });
});
