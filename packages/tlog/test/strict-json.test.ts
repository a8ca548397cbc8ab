import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { isEdgewardError } from "@edgeward/core";
import { seededRandom, throwsWithCode } from "@edgeward/testkit";
import { decodeAuditEvent, parseStrictJson, readEventLines, validateAuditEvent, type EventLine } from "@edgeward/tlog";

const event = { time: "2026-05-01T12:00:00Z", actor: "hub", kind: "attest.pass", subject: "device-1", details: {} };

describe("strict JSON: events are kept exactly as sent or refused", () => {
  it("a member named twice, at any depth, is EW_ERR_LOG_EVENT_DUPLICATE_KEY", () => {
    for (const text of ['{"a":1,"a":2}', '{"details":{"x":[{"k":1," k":2,"k":3}]}}', '{"a":1,"b":{},"\\u0061":1}'])
      throwsWithCode(() => parseStrictJson(text), "EW_ERR_LOG_EVENT_DUPLICATE_KEY");
    throwsWithCode(
      () =>
        decodeAuditEvent(
          Buffer.from(
            '{"actor":"hub","actor":"root","details":{},"kind":"a.b","subject":"s","time":"2026-05-01T12:00:00Z"}',
          ),
        ),
      "EW_ERR_LOG_EVENT_DUPLICATE_KEY",
    );
  });

  it("a number whose value would change (beyond 2^53, too many digits, out of range) is EW_ERR_LOG_EVENT_NUMBER", () => {
    for (const n of [
      "9007199254740993",
      "12345678901234567890",
      "-9007199254740993",
      "1.0000000000000000001",
      "1e400",
      "1e-400",
      "0.30000000000000000001",
    ])
      throwsWithCode(() => parseStrictJson(`{"n":${n}}`), "EW_ERR_LOG_EVENT_NUMBER");
    for (const [text, value] of [
      ["9007199254740991", 9007199254740991],
      ["-9007199254740991", -9007199254740991],
      ["0.1", 0.1],
      ["1E2", 100],
      ["1e21", 1e21],
      ["-0", -0],
      ["2.50", 2.5],
      ["0.000001", 0.000001],
    ] as const)
      assert.equal(parseStrictJson(text), value, text);
  });

  it("a member named __proto__ stays a member and does not become the prototype", () => {
    const v = parseStrictJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.deepEqual(Object.keys(v), ["__proto__"]);
  });

  it("agrees with JSON.parse on every text both accept, and refuses every text JSON.parse refuses (seeded fuzz)", () => {
    const random = seededRandom(0x5eed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const gen = (depth: number): unknown => {
      const r = random();
      if (depth > 3 || r < 0.3)
        return pick([0, -1, 0.5, 1e-7, 123456, "x", "é\u20ac", "\ud83d\ude00", "", true, false, null]);
      if (r < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => gen(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 4) }, (_, i) => [`k${i}${pick(["", "a", "\\"])}`, gen(depth + 1)]),
      );
    };
    const alphabet = ['"', "{", "}", "[", "]", ",", ":", "\\", "0", "1", "e", "-", ".", " ", "\n", "t", "u", "a"];
    for (let i = 0; i < 4000; i++) {
      let text = JSON.stringify(gen(0), null, i % 2 === 0 ? undefined : 1);
      if (i % 3 !== 0) {
        const at = Math.floor(random() * (text.length + 1));
        text = text.slice(0, at) + pick(alphabet) + text.slice(at + (random() < 0.5 ? 1 : 0));
      }
      let expected: unknown;
      let parsedOk = true;
      try {
        expected = JSON.parse(text);
      } catch {
        parsedOk = false;
      }
      try {
        const got = parseStrictJson(text);
        assert.ok(parsedOk, `accepted what JSON.parse refuses: ${text}`);
        assert.deepEqual(got, expected, text);
      } catch (err) {
        if (!isEdgewardError(err)) throw err;
      }
    }
  });
});

describe("event fields that do not show", () => {
  it("a control, bidirectional or zero-width character in actor, kind or subject is EW_ERR_LOG_EVENT_CHARACTER", () => {
    for (const ch of [
      "\u0000",
      "\u001b",
      "\u007f",
      "\u0085",
      "\u202e",
      "\u2066",
      "\u200b",
      "\u200d",
      "\u2060",
      "\ufeff",
      "\u00ad",
      "\u2028",
    ])
      for (const field of ["actor", "subject"])
        throwsWithCode(() => validateAuditEvent({ ...event, [field]: `ad${ch}min` }), "EW_ERR_LOG_EVENT_CHARACTER");
    throwsWithCode(() => validateAuditEvent({ ...event, kind: "attest.pass\u200b" }), "EW_ERR_LOG_EVENT_CHARACTER");
    assert.equal(validateAuditEvent({ ...event, actor: "user:Zoë Ødegård" }).actor, "user:Zoë Ødegård");
  });
});

describe("reading event lines", () => {
  const read = async (chunks: (string | Uint8Array)[], max?: number): Promise<EventLine[]> => {
    const out: EventLine[] = [];
    for await (const l of readEventLines(Readable.from(chunks), max)) out.push(l);
    return out;
  };

  it("splits on \\n across chunks, drops a \\r before it, numbers lines from 1, keeps a last line without \\n", async () => {
    const lines = await read(["a\r\nb", "c\n\nd\u00e9"]);
    assert.deepEqual(lines, [
      { number: 1, text: "a" },
      { number: 2, text: "bc" },
      { number: 3, text: "" },
      { number: 4, text: "dé" },
    ]);
  });

  it("a line over the limit stops reading with EW_ERR_INPUT_TOO_LARGE without holding the line", async () => {
    let pulled = 0;
    function* endless(): Generator<Uint8Array> {
      yield Buffer.from("ok\n");
      for (;;) {
        pulled++;
        yield Buffer.alloc(1024, 0x61);
      }
    }
    const out: EventLine[] = [];
    for await (const l of readEventLines(Readable.from(endless()), 16 * 1024)) out.push(l);
    assert.equal(out.length, 2);
    assert.ok("error" in out[1]! && out[1].error.code === "EW_ERR_INPUT_TOO_LARGE");
    assert.equal(out[1].number, 2);
    assert.ok(pulled <= 17, `${pulled} chunks read`);
    const [bad] = await read([Buffer.from([0x7b, 0xff, 0x7d, 0x0a])]);
    assert.ok(bad !== undefined && "error" in bad && bad.error.code === "EW_ERR_LOG_EVENT_INVALID");
  });
});
