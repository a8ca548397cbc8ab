import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { throwsWithCode } from "@edgeward/testkit";
import { auditEvent, canonicalJson, decodeAuditEvent, encodeAuditEvent, validateAuditEvent } from "@edgeward/tlog";

const event = {
  time: "2026-05-01T12:00:00.000Z",
  actor: "hub",
  kind: "attest.pass",
  subject: "device-42",
  details: { pcrs: [0, 7], nonce: "q1", ok: true, ratio: 0.5, nested: { b: 1, a: null } },
};

describe("canonical JSON (RFC 8785)", () => {
  it("sorts members by UTF-16 code units, drops whitespace and writes numbers as ECMAScript does", () => {
    assert.equal(
      canonicalJson({ b: 1, a: [1e21, 0.1, -0], "\u20ac": "x", "\ud83d\ude00": 2 }),
      '{"a":[1e+21,0.1,0],"b":1,"\u20ac":"x","\ud83d\ude00":2}',
    );
    // RFC 8785 §3.2.3 sorting example: code units, not code points.
    assert.equal(
      Object.keys(JSON.parse(canonicalJson({ "\ufb33": 1, "\ud83d\ude00": 2 })) as object).join(","),
      "\ud83d\ude00,\ufb33",
    );
  });

  it("when a value has no canonical form, rejects with EW_ERR_LOG_EVENT_INVALID", () => {
    for (const v of [NaN, Infinity, "\ud800", { "\udc00": 1 }, new Date(), 1n, undefined])
      throwsWithCode(() => canonicalJson(v), "EW_ERR_LOG_EVENT_INVALID");
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    throwsWithCode(() => canonicalJson(deep), "EW_ERR_LOG_EVENT_INVALID");
  });
});

describe("audit events", () => {
  it("encode to canonical JSON and decode back to the same event", () => {
    const bytes = encodeAuditEvent(event);
    assert.equal(
      Buffer.from(bytes).toString(),
      '{"actor":"hub","details":{"nested":{"a":null,"b":1},"nonce":"q1","ok":true,"pcrs":[0,7],"ratio":0.5},"kind":"attest.pass","subject":"device-42","time":"2026-05-01T12:00:00.000Z"}',
    );
    assert.deepEqual(decodeAuditEvent(bytes), validateAuditEvent(JSON.parse(Buffer.from(bytes).toString())));
    assert.match(auditEvent({ actor: "cli", kind: "log.init", subject: "x", details: {} }).time, /Z$/);
  });

  it("when a field is missing, unknown or of the wrong form, rejects with EW_ERR_LOG_EVENT_INVALID", () => {
    const bad: unknown[] = [
      null,
      [],
      { ...event, extra: 1 },
      { ...event, time: "2026-05-01 12:00:00Z" },
      { ...event, time: "2026-02-30T00:00:00Z" },
      { ...event, time: "2026-05-01T12:00:00+02:00" },
      { ...event, actor: "" },
      { ...event, kind: "Attest" },
      { ...event, kind: "attest" },
      { ...event, subject: 5 },
      { ...event, details: [] },
      { ...event, details: "x" },
      { time: event.time, actor: "hub", kind: "a.b", subject: "s" },
    ];
    for (const v of bad) throwsWithCode(() => validateAuditEvent(v), "EW_ERR_LOG_EVENT_INVALID");
  });

  it("when stored bytes are not canonical or not UTF-8, decoding rejects with EW_ERR_LOG_EVENT_INVALID", () => {
    const pretty = Buffer.from(JSON.stringify(JSON.parse(Buffer.from(encodeAuditEvent(event)).toString()), null, 1));
    throwsWithCode(() => decodeAuditEvent(pretty), "EW_ERR_LOG_EVENT_INVALID");
    throwsWithCode(() => decodeAuditEvent(Buffer.from([0x7b, 0xff, 0x7d])), "EW_ERR_LOG_EVENT_INVALID");
  });

  it("when the event is larger than 64 KiB, rejects with EW_ERR_INPUT_TOO_LARGE", () => {
    throwsWithCode(
      () => encodeAuditEvent({ ...event, details: { blob: "x".repeat(70_000) } }),
      "EW_ERR_INPUT_TOO_LARGE",
    );
  });
});
