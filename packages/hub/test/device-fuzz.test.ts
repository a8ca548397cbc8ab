// Every device-API body fuzzed through the real app (ARCHITECTURE.md: every parser of untrusted bytes fails closed
// with a typed code): wrong types, oversized fields, truncated and bit-flipped TPM structures from a real swtpm,
// random bytes, huge bodies and malformed JSON. No request may crash the hub or get a 5xx, and every refusal
// carries an EW_ERR_ code. Seeded, so a failure replays from the printed seed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { wire } from "@edgeward/core";
import { generateNoteKey, SqliteStore } from "@edgeward/tlog";
import { DEFAULT_POLICY_PCRS } from "@edgeward/tpm";
import { seededRandom, startSwtpm, tempDir } from "@edgeward/testkit";
import { buildApp } from "../src/app.ts";
import { HubAuditLog } from "../src/audit/hub-log.ts";
import { BlobStore } from "../src/blobs/blob-store.ts";
import type { DeviceAuthenticator } from "../src/deps.ts";
import { createEnrolToken } from "../src/device/enrolment.ts";
import { DatabaseDeviceStore } from "../src/device/database-store.ts";
import { createHubLogger } from "../src/logger.ts";
import { HubStore } from "../src/store/hub-store.ts";
import { activateBody, enrolBody, makeDeviceKeys, quoteBody } from "./device-client.ts";
import { deviceHarness, toolsDevice } from "./device-harness.ts";

const SEED = Number(process.env["FUZZ_SEED"] ?? 7);
const ROUNDS = Number(process.env["FUZZ_ROUNDS"] ?? 60);

/**
 * A stand-in for the mTLS authenticator under app.inject() (which has no TLS socket): it names one enrolled device,
 * so the mTLS-only routes' bodies can be fuzzed. mTLS itself is tested with real sockets in mtls-device.test.ts.
 */
function injectOnlyAuthenticator(deviceId: () => string): DeviceAuthenticator {
  return () => Promise.resolve({ deviceId: deviceId() });
}

test(`device API bodies fuzzed (seed ${SEED}): no crash, no 5xx, every refusal coded`, async () => {
  using dir = tempDir();
  await using sw = await startSwtpm();
  const tpm = toolsDevice(sw.tcti);
  const store = await HubStore.open({ sqlite: join(dir.path, "hub.db") });
  const h = await deviceHarness(tpm, dir.path, new DatabaseDeviceStore(store.db));
  let deviceId = "";
  const audit = await HubAuditLog.create(new SqliteStore(join(dir.path, "log.db")), generateNoteKey("fuzz/hub").signer);
  const app = await buildApp({
    store,
    clock: { now: h.clock.now },
    logger: createHubLogger({ level: "fatal" }),
    blobs: new BlobStore(join(dir.path, "blobs")),
    audit,
    facts: () => Promise.reject(new Error("unused")),
    deviceAuth: injectOnlyAuthenticator(() => deviceId),
    device: h.services,
  });
  try {
    // Real evidence to mutate, from the swtpm. Enrolment first, before the EK is enrolled (a duplicate EK is
    // refused before the AK and certify evidence are parsed), with a fresh token each round.
    const keys = await makeDeviceKeys(tpm, DEFAULT_POLICY_PCRS);
    const random = seededRandom(SEED);
    let n = 0;
    const token = async () => (await createEnrolToken({ store: h.store, now: h.clock.now }, "factory")).token;
    const enrol = await enrolBody(keys, { token: await token() });
    for (let round = 0; round < ROUNDS; round++) {
      const mutated = mutate({ ...enrol, token: await token() }, random);
      assertCoded(await post(app, "/v1/device/enrol", mutated), `enrol round ${round} seed ${SEED}`);
      n++;
    }
    const enrolRes = await post(app, "/v1/device/enrol", { ...enrol, token: await token() });
    const act = await activateBody(keys, JSON.parse(enrolRes.body) as wire.EnrolResponse);
    deviceId = (JSON.parse((await post(app, "/v1/device/enrol/activate", act)).body) as { deviceId: string }).deviceId;
    const ch = JSON.parse(
      (await post(app, "/v1/device/attest/challenge", { deviceId, banks: ["sha256"] })).body,
    ) as wire.ChallengeResponse;
    const quote = await quoteBody(keys, deviceId, ch);
    // A device holding too many unused nonces gets 429 with Retry-After (seconds), not a 5xx.
    let limited;
    for (let i = 0; i < 10 && limited === undefined; i++) {
      const r = await post(app, "/v1/device/attest/challenge", { deviceId, banks: ["sha256"] });
      if (r.statusCode === 429) limited = r;
    }
    assert.equal(limited?.headers["retry-after"], "60");
    assert.equal((JSON.parse(limited.body) as { code: string }).code, "EW_ERR_DEVICE_RATE_LIMITED");
    const seeds: Array<[string, unknown]> = [
      ["/v1/device/enrol/activate", act],
      ["/v1/device/attest/challenge", { deviceId, banks: ["sha256"], bootTime: "2026-11-30T00:00:00Z" }],
      ["/v1/device/attest/quote", quote],
      ["/v1/device/releases/ocr-1/key", {}],
      ["/v1/device/log", { entries: [{ index: 0, data: "AAAA" }], checkpoint: "o\n1\nAAAA\n", consistencyProof: [] }],
      ["/v1/device/audit", { report: { checks: [] } }],
      ["/v1/device/tamper", { source: "case", details: "x" }],
    ];
    for (let round = 0; round < ROUNDS; round++) {
      // A fresh nonce each round, so quote mutations reach the TPM structure parsers, not only the nonce check.
      h.clock.advance(61_000);
      const fresh = await post(app, "/v1/device/attest/challenge", { deviceId, banks: ["sha256"] });
      const nonce = (JSON.parse(fresh.body) as { nonce?: string }).nonce ?? "00".repeat(32);
      for (const [url, body] of seeds) {
        if (url === "/v1/device/tamper" && round < ROUNDS - 1) continue;
        const mutated = mutate(url.endsWith("/quote") ? { ...(body as object), nonce } : body, random);
        const res = await post(app, url, mutated);
        n++;
        assertCoded(res, `${url} round ${round} seed ${SEED}: ${JSON.stringify(mutated).slice(0, 200)}`);
      }
    }
    // Huge bodies, malformed JSON and wrong media types on every route.
    for (const url of ["/v1/device/enrol", ...seeds.map(([u]) => u)]) {
      assertCoded(await post(app, url, { blob: "A".repeat(30 * 1024 * 1024) }), `${url} huge`);
      assertCoded(
        await app.inject({ method: "POST", url, payload: '{"a":', headers: { "content-type": "application/json" } }),
        `${url} truncated JSON`,
      );
      assertCoded(
        await app.inject({ method: "POST", url, payload: "x", headers: { "content-type": "text/plain" } }),
        `${url} text`,
      );
      n += 3;
    }
    assert.ok(n > ROUNDS * 2);
    // The mutations reached past the schemas into the TPM parsers and verifiers, not only the front door.
    const deep = [...seen].filter((c) => c.startsWith("EW_ERR_TPM_") || c.startsWith("EW_ERR_QUOTE_"));
    assert.ok(deep.length >= 2, `only ${[...seen].join(", ")}`);
    assert.ok(seen.has("EW_ERR_HUB_REQUEST_INVALID") && seen.has("EW_ERR_HUB_BODY_TOO_LARGE"));
  } finally {
    await app.close();
  }
});

async function post(app: FastifyInstance, url: string, payload: unknown) {
  return app.inject({
    method: "POST",
    url,
    payload: JSON.stringify(payload),
    headers: { "content-type": "application/json" },
  });
}

/** Every code the fuzzed requests were refused with. */
const seen = new Set<string>();

function assertCoded(res: { statusCode: number; body: string }, what: string): void {
  assert.ok(res.statusCode < 500, `${what} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
  if (res.statusCode >= 400) {
    const body = JSON.parse(res.body) as { code?: string };
    assert.match(body.code ?? "", /^EW_ERR_[A-Z0-9_]+$/, what);
    seen.add(body.code ?? "");
  }
}

/** One random mutation of a JSON body: a field's type, size, or (for base64 TPM fields) its bytes. */
function mutate(body: unknown, random: () => number): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  const paths = leafPaths(copy);
  const path = paths[Math.floor(random() * paths.length)];
  if (path === undefined) return copy;
  const parent = path.slice(0, -1).reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, copy);
  const key = path[path.length - 1]!;
  const value = parent[key];
  const pick = Math.floor(random() * 9);
  const bytes =
    typeof value === "string" && /^[A-Za-z0-9+/]+=*$/.test(value) ? Buffer.from(value, "base64") : undefined;
  switch (pick) {
    case 0:
      parent[key] = [null, 42, true, [], {}, -1, 1e308][Math.floor(random() * 7)];
      break;
    case 1:
      parent[key] = "Z".repeat(1 + Math.floor(random() * 200_000));
      break;
    case 2:
      delete parent[key];
      break;
    case 3: // A truncated structure (TPM2B sizes then disagree with what follows).
      if (bytes !== undefined) parent[key] = bytes.subarray(0, Math.floor(random() * bytes.length)).toString("base64");
      break;
    case 4: // A flipped bit.
      if (bytes !== undefined && bytes.length > 0) {
        const i = Math.floor(random() * bytes.length);
        bytes[i] = (bytes[i] ?? 0) ^ (1 << Math.floor(random() * 8));
        parent[key] = bytes.toString("base64");
      }
      break;
    case 5: // Random bytes of a plausible length.
      parent[key] = Buffer.from(
        Array.from({ length: Math.floor(random() * 600) }, () => Math.floor(random() * 256)),
      ).toString("base64");
      break;
    case 6:
      parent["unexpected"] = "field";
      break;
    case 7: // Huge lengths declared inside a TPM structure.
      if (bytes !== undefined && bytes.length > 2) {
        bytes[0] = 0xff;
        bytes[1] = 0xff;
        parent[key] = bytes.toString("base64");
      }
      break;
    default:
      parent[key] = typeof value === "string" ? value.split("").reverse().join("") : String(value);
  }
  return copy;
}

function leafPaths(o: unknown, prefix: string[] = []): string[][] {
  if (o === null || typeof o !== "object") return [prefix];
  const out: string[][] = prefix.length > 0 ? [prefix] : [];
  for (const [k, v] of Object.entries(o)) out.push(...leafPaths(v, [...prefix, k]));
  return out;
}
