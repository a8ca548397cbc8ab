/**
 * A PCR extended while a quote is taken: the values read after the quote then differ from the ones it signed. The
 * race is made real, not mocked: the connection to swtpm is wrapped so that a TPM2_PCR_Extend is sent on it right
 * after a chosen response, exactly where another process's extend could land.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { parsePcrSelectionText, TpmWriter, type PcrSelection } from "@edgeward/core";
import { rejectsWithCode, startSwtpm, type Swtpm } from "@edgeward/testkit";
import { Tpm2ToolsDevice, type AttestationKey, type QuoteEvidence } from "@edgeward/tpm";
import { CC, passwordAuth, TpmCommands } from "../src/native/commands.ts";
import { quoteOn } from "../src/native/quote.ts";
import { openTransport, type TpmTransport } from "../src/native/transport.ts";
import { SLOW, verifyQuoteOf } from "./helpers.ts";

const run = promisify(execFile);
/** TPM_CC_PCR_Extend (Part 2 §6.5.2). */
const PCR_EXTEND = 0x182;
const ALL = parsePcrSelectionText("0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23");

describe("a PCR extended during a native quote (swtpm)", SLOW, () => {
  let tpm: Swtpm;
  let dev: Tpm2ToolsDevice;
  let ak: AttestationKey;
  before(async () => {
    tpm = await startSwtpm();
    dev = new Tpm2ToolsDevice({ tcti: tpm.tcti, native: false });
    ak = await dev.createAttestationKey();
  });
  after(async () => {
    await tpm?.stop();
  });

  /**
   * Quotes `selection` on a connection that extends sha256 PCR `pcr` after the `nth…` successful responses to
   * command `cc` (1-based). Returns the evidence, or rejects as quoteOn does.
   */
  async function quoteWithExtends(
    selection: PcrSelection,
    cc: number,
    nth: readonly number[],
    pcr: number,
  ): Promise<QuoteEvidence> {
    const inner = await openTransport(tpm.tcti);
    let seen = 0;
    const racing: TpmTransport = {
      async send(command) {
        const response = await inner.send(command);
        const code = Buffer.from(command).readUInt32BE(6);
        const rc = Buffer.from(response).readUInt32BE(6);
        if (code === cc && rc === 0 && nth.includes(++seen)) await extend(inner, pcr);
        return response;
      },
      close: () => inner.close(),
    };
    try {
      return await quoteOn(new TpmCommands(racing), ak, selection, Uint8Array.of(7, 7));
    } finally {
      await racing.close();
    }
  }

  const verify = (q: QuoteEvidence) => verifyQuoteOf(ak, q, Uint8Array.of(7, 7));

  it("an extend between the quote and the read: quoted again, and the evidence holds the new value", async () => {
    const q = await quoteWithExtends(ALL, CC.Quote, [1], 14);
    verify(q);
    assert.deepEqual(q.pcrValues.sha256?.[14], (await dev.pcrRead(parsePcrSelectionText("14"))).sha256?.[14]);
  });

  it("an extend between two PCR_Read answers (pcrUpdateCounter moved): quoted again with the new value", async () => {
    // PCR 1 is in the first answer (8 digests), so its value still matches the quote: only the counter tells.
    const q = await quoteWithExtends(ALL, CC.PCR_Read, [1], 1);
    verify(q);
    assert.deepEqual(q.pcrValues.sha256?.[1], (await dev.pcrRead(parsePcrSelectionText("1"))).sha256?.[1]);
  });

  it("an extend after every quote: EW_ERR_TPM_BUSY after the second, and the AK is flushed", async () => {
    await rejectsWithCode(quoteWithExtends(ALL, CC.Quote, [1, 2, 3], 15), "EW_ERR_TPM_BUSY");
    const env = { ...process.env, TPM2TOOLS_TCTI: tpm.tcti };
    assert.equal((await run("tpm2_getcap", ["handles-transient"], { env })).stdout.trim(), "");
    // The device is usable afterwards.
    verify(await new Tpm2ToolsDevice({ tcti: tpm.tcti }).quote(ak, ALL, Uint8Array.of(7, 7)));
  });
});

/** TPM2_PCR_Extend (Part 3 §22.2) of sha256 PCR `pcr` with a fresh digest, on the racing connection. */
async function extend(transport: TpmTransport, pcr: number): Promise<void> {
  const digest = createHash("sha256").update(randomBytes(8)).digest();
  const params = new TpmWriter().u32(1).u16(0x000b).bytes(digest).finish(); // TPML_DIGEST_VALUES
  await new TpmCommands(transport).call(PCR_EXTEND, [pcr], passwordAuth(), params);
}
