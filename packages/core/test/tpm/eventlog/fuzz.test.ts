import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkSecureBoot,
  isEdgewardError,
  parseEventLog,
  summarizeEventLog,
  type ErrorCode,
  type EventLog,
} from "@edgeward/core";
import { seededRandom } from "@edgeward/testkit";
import { EXPECTED, fixture, fromHex } from "./helpers.ts";

// The codes a hostile log may produce; anything else (a RangeError, a TypeError, a hang) is a parser bug.
const ALLOWED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "EW_ERR_EVENTLOG_PARSE",
  "EW_ERR_EVENTLOG_TRUNCATED",
  "EW_ERR_EVENTLOG_UNSUPPORTED",
  "EW_ERR_EVENTLOG_DIGEST",
  "EW_ERR_EVENTLOG_REPLAY_MISMATCH",
  "EW_ERR_EVENTLOG_BANK_MISSING",
  "EW_ERR_SECURE_BOOT_OFF",
]);
const SEED = 0x7c9a_2026;
const RUNS = 10_000;

describe("TCG event log: fuzzed with seeded mutations of real logs", () => {
  it(`${RUNS} mutated logs: each is refused with an event-log code or parses whole; none crashes`, () => {
    const names = ["tpm2-tools-event-sd-boot-fedora37.bin", "tpm2-tools-event-moklisttrusted.bin"];
    const sources = names.map((n) => ({ bytes: fixture(n), quoted: fromHex(EXPECTED[n]!.pcrs) }));
    const random = seededRandom(SEED);
    const seen = new Map<string, number>();
    for (let run = 0; run < RUNS; run++) {
      const source = sources[run % sources.length]!;
      const bytes = mutate(source.bytes, random);
      let outcome: string;
      try {
        const log = parseEventLog(bytes);
        assert.equal(encodedLength(log), bytes.length, `run ${run} (seed ${SEED}): parsed only part of the log`);
        summarizeEventLog(log);
        checkSecureBoot({ eventLog: log, quotedPcrs: source.quoted });
        outcome = "accepted";
      } catch (err) {
        if (!isEdgewardError(err) || !ALLOWED.has(err.code))
          assert.fail(`run ${run} (seed ${SEED}) threw ${err instanceof Error ? err.stack : String(err)}`);
        outcome = err.code;
      }
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
    }
    // The mutations reach every stage: the parser, the variable digests, and logs that pass whole.
    for (const code of ["EW_ERR_EVENTLOG_PARSE", "EW_ERR_EVENTLOG_TRUNCATED", "EW_ERR_EVENTLOG_DIGEST", "accepted"])
      assert.ok((seen.get(code) ?? 0) > 50, `${code}: ${JSON.stringify([...seen])}`);
  });
});

/** One to three mutations: byte flips, a 32-bit field set to an edge value, a cut, a deleted or repeated slice. */
function mutate(input: Uint8Array, random: () => number): Uint8Array {
  let b = input.slice();
  const at = (n: number): number => Math.floor(random() * n);
  for (let k = 1 + at(3); k > 0; k--) {
    switch (at(5)) {
      case 0:
        for (let i = 1 + at(4); i > 0 && b.length > 0; i--) {
          const o = at(b.length);
          b[o] = b[o]! ^ (1 << at(8));
        }
        break;
      case 1: {
        const edge = [0, 1, 0xff, 0xffff, 0x7fffffff, 0xffffffff, b.length, at(0x10000)][at(8)]!;
        if (b.length >= 4) new DataView(b.buffer).setUint32(at(b.length - 3), edge >>> 0, true);
        break;
      }
      case 2:
        b = b.slice(0, at(b.length));
        break;
      case 3: {
        const o = at(b.length);
        b = new Uint8Array(Buffer.concat([b.subarray(0, o), b.subarray(o + 1 + at(64))]));
        break;
      }
      default: {
        const o = at(b.length);
        const piece = b.subarray(o, o + 1 + at(64));
        b = new Uint8Array(Buffer.concat([b.subarray(0, o), piece, b.subarray(o)]));
      }
    }
  }
  return b;
}

/** The bytes a parsed log occupies: header event plus each TCG_PCR_EVENT2 (PFP §10.2.1, §10.2.2). */
function encodedLength(log: EventLog): number {
  const spec = 16 + 4 + 4 + 4 + 4 * log.specId.algorithms.length + 1 + log.specId.vendorInfo.length;
  let n = 32 + spec;
  for (const e of log.events) n += 12 + e.digests.reduce((s, d) => s + 2 + d.digest.length, 0) + 4 + e.data.length;
  return n;
}
