/**
 * The direct path parses what comes back from the TPM (or whatever answers on its socket). Real answers are
 * recorded from swtpm, then replayed with one of them damaged — truncated, bytes flipped, the size or count
 * fields changed — through a replaying transport (a stand-in, since swtpm cannot be made to answer garbage).
 * Every outcome must be a result or a typed EdgewardError: never a TypeError, a RangeError or a hang.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { EdgewardError, parsePcrSelectionText } from "@edgeward/core";
import { seededRandom, startSwtpm, type Swtpm } from "@edgeward/testkit";
import { DEFAULT_COUNTER_INDEX, Tpm2ToolsDevice, type AttestationKey } from "@edgeward/tpm";
import { TpmCommands } from "../src/native/commands.ts";
import { readCounterOn } from "../src/native/nv.ts";
import { quoteOn } from "../src/native/quote.ts";
import { openTransport, type TpmTransport } from "../src/native/transport.ts";
import { SLOW } from "./helpers.ts";

const ALL = parsePcrSelectionText("sha1:0,1,2,3,4,5,6,7,8,9,10+sha256:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16");
/** TPM_RC_FAILURE with no parameters: the replay's answer once the recording is used up. */
const FAILURE = Uint8Array.from([0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x01, 0x01]);

type Operation = (tpm: TpmCommands) => Promise<unknown>;

describe("damaged TPM answers on the direct path fail typed (recorded from swtpm, replayed)", SLOW, () => {
  let tpm: Swtpm;
  let ak: AttestationKey;
  before(async () => {
    tpm = await startSwtpm();
    const dev = new Tpm2ToolsDevice({ tcti: tpm.tcti });
    ak = await dev.createAttestationKey();
    await dev.counterDefine(DEFAULT_COUNTER_INDEX);
  });
  after(async () => {
    await tpm?.stop();
  });

  async function record(op: Operation): Promise<Uint8Array[]> {
    const inner = await openTransport(tpm.tcti);
    const answers: Uint8Array[] = [];
    const recording: TpmTransport = {
      async send(command) {
        const response = await inner.send(command);
        answers.push(response);
        return response;
      },
      close: () => inner.close(),
    };
    try {
      await op(new TpmCommands(recording));
    } finally {
      await recording.close();
    }
    return answers;
  }

  async function fuzz(name: string, op: Operation, seed: number, rounds: number): Promise<void> {
    const answers = await record(op);
    const random = seededRandom(seed);
    const pick = (n: number): number => Math.floor(random() * n);
    const outcomes = { ok: 0, typed: 0 };
    for (let round = 0; round < rounds; round++) {
      const victim = pick(answers.length);
      let served = 0;
      const replay: TpmTransport = {
        send() {
          const answer = answers[served];
          const n = served++;
          if (answer === undefined) return Promise.resolve(FAILURE);
          return Promise.resolve(n === victim ? damage(answer, pick) : answer);
        },
        close: () => Promise.resolve(),
      };
      try {
        await op(new TpmCommands(replay));
        outcomes.ok++;
      } catch (err) {
        assert.ok(err instanceof EdgewardError, `${name}, seed ${seed}, round ${round}: ${String(err)}`);
        outcomes.typed++;
      }
    }
    // The damage must have been noticed most of the time, or it never reached the parsers.
    assert.ok(outcomes.typed > rounds / 2, `${name}: ${JSON.stringify(outcomes)}`);
  }

  it("the quote: CreatePrimary, Quote and PCR_Read answers", async () => {
    await fuzz("quote", (t) => quoteOn(t, ak, ALL, Uint8Array.of(1, 2, 3)), 0x5eed, 400);
  });

  it("the counter read: NV_Read answers", async () => {
    await fuzz("counter read", (t) => readCounterOn(t, DEFAULT_COUNTER_INDEX), 0xc0de, 200);
  });
});

/** One answer damaged: truncated, a few bytes flipped, or its size field or a count-like word changed. */
function damage(answer: Uint8Array, pick: (n: number) => number): Uint8Array {
  const out = Uint8Array.from(answer);
  switch (pick(4)) {
    case 0:
      return out.subarray(0, pick(out.length));
    case 1:
      for (let k = 0, n = 1 + pick(4); k < n; k++) {
        const at = 10 + pick(Math.max(1, out.length - 10));
        out[at] = (out[at] ?? 0) ^ (1 + pick(255));
      }
      return out;
    case 2:
      new DataView(out.buffer).setUint32(2, pick(0x10000));
      return out;
    default: {
      // A 16- or 32-bit length or count somewhere in the parameters set to a large value.
      const at = 10 + pick(Math.max(1, out.length - 12));
      if (at + 2 <= out.length) new DataView(out.buffer).setUint16(at, 0xff00 | pick(256));
      return out;
    }
  }
}
