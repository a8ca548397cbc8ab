// The device API's wire schemas compile as Fastify route schemas and reject what the contract forbids.
import { test } from "node:test";
import assert from "node:assert/strict";
import Fastify from "fastify";
import { wire } from "@edgeward/core";

const b64 = (n: number) => Buffer.alloc(n, 7).toString("base64");

const goodEnrol: wire.EnrolRequest = {
  ekPublic: b64(300),
  ekType: "rsa",
  akPublic: b64(90),
  unwrapKey: { public: b64(90), recipient: "age1tag1qqqq", pcrSelection: "sha256:0,7" },
  certify: { attest: b64(100), signature: b64(72) },
};

const goodQuote: wire.QuoteRequest = {
  deviceId: "dev-1",
  nonce: "ab".repeat(16),
  quote: { attest: b64(120), signature: b64(72) },
  pcrs: { sha256: { "0": "00".repeat(32), "7": "11".repeat(32) } },
};

async function app() {
  const f = Fastify();
  for (const [path, schema] of [
    ["/enrol", wire.enrolRequestSchema],
    ["/activate", wire.activateRequestSchema],
    ["/challenge", wire.challengeRequestSchema],
    ["/quote", wire.quoteRequestSchema],
    ["/log", wire.deviceLogRequestSchema],
    ["/tamper", wire.tamperRequestSchema],
    ["/audit", wire.auditReportRequestSchema],
  ] as const) {
    f.post(path, { schema: { body: schema } }, () => ({ ok: true }));
  }
  await f.ready();
  return f;
}

test("the contract's valid bodies pass the wire schemas", async () => {
  const f = await app();
  try {
    for (const [url, payload] of [
      ["/enrol", goodEnrol],
      ["/enrol", { ...goodEnrol, token: "t", ekCertificate: b64(900) }],
      ["/activate", { enrolmentId: "e1", secret: b64(32) }],
      ["/challenge", { deviceId: "dev-1", banks: ["sha256"], bootTime: "2026-11-30T01:00:00Z" }],
      ["/quote", goodQuote],
      ["/quote", { ...goodQuote, csr: "-----BEGIN CERTIFICATE REQUEST-----", eventLog: b64(10) }],
      ["/log", { entries: [{ index: 0, data: b64(10) }], checkpoint: "x\n1\nabc\n", consistencyProof: [] }],
      ["/tamper", { source: "gpio", details: "case opened" }],
      ["/audit", { report: { checks: [] } }],
    ] as const) {
      const res = await f.inject({ method: "POST", url, payload });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    }
  } finally {
    await f.close();
  }
});

test("wrong types, bad base64, oversized fields and bad PCR keys fail the wire schemas", async () => {
  const f = await app();
  try {
    const bad: Array<[string, unknown]> = [
      ["/enrol", { ...goodEnrol, ekType: "dsa" }],
      ["/enrol", { ...goodEnrol, akPublic: "not base64!" }],
      ["/enrol", { ...goodEnrol, akPublic: b64(wire.MAX_TPM_STRUCTURE_BYTES + 3) }],
      ["/enrol", { ...goodEnrol, unwrapKey: { ...goodEnrol.unwrapKey, recipient: "age1xyz" } }],
      ["/enrol", { ...goodEnrol, unwrapKey: { ...goodEnrol.unwrapKey, pcrSelection: "md5:1" } }],
      ["/enrol", { ...goodEnrol, certify: { attest: b64(10) } }],
      ["/challenge", { deviceId: "dev-1", banks: [] }],
      ["/challenge", { deviceId: "../etc", banks: ["sha256"] }],
      ["/quote", { ...goodQuote, nonce: "XYZ" }],
      ["/quote", { ...goodQuote, pcrs: { sha256: { "24": "00".repeat(32) } } }],
      ["/quote", { ...goodQuote, pcrs: { sha256: { "0": "nothex" } } }],
      ["/quote", { ...goodQuote, pcrs: { md5: { "0": "00".repeat(32) } } }],
      ["/log", { entries: "x", checkpoint: "c", consistencyProof: [] }],
      ["/log", { entries: [], checkpoint: "c", consistencyProof: ["zz"] }],
      ["/tamper", { source: "", details: "x" }],
      ["/audit", { report: [] }],
    ];
    for (const [url, payload] of bad) {
      const res = await f.inject({ method: "POST", url, payload: payload as object });
      assert.equal(res.statusCode, 400, `${url} ${JSON.stringify(payload).slice(0, 80)}: ${res.body}`);
    }
  } finally {
    await f.close();
  }
});
