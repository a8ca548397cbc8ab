import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { parsePcrSelectionText, parseSignature, TPM_RH, type PcrSelection } from "@edgeward/core";
import { rejectsWithCode, startSwtpm, throwsWithCode, type Swtpm } from "@edgeward/testkit";
import { Tpm2ToolsDevice, type AttestationKey, type QuoteEvidence } from "@edgeward/tpm";
import { TpmCommands } from "../src/native/commands.ts";
import { akTemplate } from "../src/native/quote.ts";
import { openTransport } from "../src/native/transport.ts";
import { checkquote, SLOW, verifyQuoteOf } from "./helpers.ts";

const run = promisify(execFile);
const BOOT = parsePcrSelectionText("0,1,2,3,4,5,6,7");
/** 48 PCRs: more than one TPM2_PCR_Read answers (at most 8 digests each), so the file holds several lists. */
const WIDE = parsePcrSelectionText(
  "sha1:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23+" +
    "sha256:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23",
);

describe("quotes over the direct transport match tpm2_quote's evidence (swtpm)", SLOW, () => {
  let a: Swtpm;
  let b: Swtpm;
  let native: Tpm2ToolsDevice;
  let tools: Tpm2ToolsDevice;
  let akA: AttestationKey;
  let akB: AttestationKey;
  before(async () => {
    [a, b] = await Promise.all([startSwtpm(), startSwtpm()]);
    native = new Tpm2ToolsDevice({ tcti: a.tcti });
    tools = new Tpm2ToolsDevice({ tcti: a.tcti, native: false });
    [akA, akB] = await Promise.all([
      tools.createAttestationKey(),
      new Tpm2ToolsDevice({ tcti: b.tcti }).createAttestationKey(),
    ]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const verify = (q: QuoteEvidence, nonce: Uint8Array) => verifyQuoteOf(akA, q, nonce);

  async function transients(tpm: Swtpm): Promise<string> {
    const env = { ...process.env, TPM2TOOLS_TCTI: tpm.tcti };
    return (await run("tpm2_getcap", ["handles-transient"], { env })).stdout.trim();
  }

  it("recreates createAttestationKey's AK from the template: the same public area and name", async () => {
    const transport = await openTransport(a.tcti);
    const tpm = new TpmCommands(transport);
    try {
      const created = await tpm.createPrimaryIn(TPM_RH.ENDORSEMENT, akTemplate());
      await tpm.flush(created.handle);
      assert.equal(Buffer.from(created.outPublic).toString("hex"), Buffer.from(akA.public).toString("hex"));
      assert.equal(Buffer.from(created.name).toString("hex"), Buffer.from(akA.name).toString("hex"));
    } finally {
      await transport.close();
    }
  });

  for (const [label, selection] of [
    ["sha256:0-7", BOOT],
    ["sha1+sha256:0-23", WIDE],
  ] as [string, PcrSelection][]) {
    it(`${label}: verifies in process and with tpm2_checkquote; PCR file byte-equal to tpm2_quote's`, async () => {
      const nonce = randomBytes(20);
      const mine = await native.quote(akA, selection, nonce);
      const theirs = await tools.quote(akA, selection, nonce);
      const v = verify(mine, nonce);
      assert.deepEqual(v.selection, selection);
      verify(theirs, nonce);
      await checkquote(akA.publicKeyPem, mine, nonce);
      assert.equal(Buffer.from(mine.pcrsFile).toString("hex"), Buffer.from(theirs.pcrsFile).toString("hex"));
      assert.deepEqual(mine.pcrValues, theirs.pcrValues);
      // Same scheme and layout: ECDSA (0x0018) with SHA-256, as tpm2_quote -s writes it.
      assert.deepEqual(parseSignature(mine.signature).alg, parseSignature(theirs.signature).alg);
      assert.equal(Buffer.from(mine.signature.subarray(0, 4)).toString("hex"), "0018000b");
      assert.equal(await transients(a), "");
    });
  }

  it("after an extend both paths report the new state, and a quote without a nonce verifies", async () => {
    await tools.pcrExtend(14, new TextEncoder().encode("native quote test"));
    const mine = await native.quote(akA, WIDE, new Uint8Array(0));
    const theirs = await tools.quote(akA, WIDE, new Uint8Array(0));
    assert.equal(Buffer.from(mine.pcrsFile).toString("hex"), Buffer.from(theirs.pcrsFile).toString("hex"));
    const now = await tools.pcrRead(parsePcrSelectionText("14"));
    assert.deepEqual(mine.pcrValues.sha256?.[14], now.sha256?.[14]);
    verify(mine, new Uint8Array(0));
  });

  it("a wrong nonce or a tampered message is refused by both verifiers", async () => {
    const nonce = randomBytes(16);
    const q = await native.quote(akA, BOOT, nonce);
    throwsWithCode(() => verify(q, randomBytes(16)), "EW_ERR_QUOTE_NONCE");
    const tampered = Uint8Array.from(q.message);
    tampered[tampered.length - 1] = (tampered.at(-1) ?? 0) ^ 1;
    throwsWithCode(() => verify({ ...q, message: tampered }, nonce), "EW_ERR_QUOTE_SIGNATURE");
    await assert.rejects(checkquote(akA.publicKeyPem, q, randomBytes(16)));
    await assert.rejects(checkquote(akA.publicKeyPem, { ...q, message: tampered }, nonce));
  });

  it("TPM B refuses TPM A's attestation key on both paths (EW_ERR_TPM_FOREIGN_KEY) and keeps nothing loaded", async () => {
    await rejectsWithCode(
      new Tpm2ToolsDevice({ tcti: b.tcti }).quote(akA, BOOT, randomBytes(8)),
      "EW_ERR_TPM_FOREIGN_KEY",
    );
    await rejectsWithCode(
      new Tpm2ToolsDevice({ tcti: b.tcti, native: false }).quote(akA, BOOT, randomBytes(8)),
      "EW_ERR_TPM_FOREIGN_KEY",
    );
    // And B's own AK quotes natively there.
    const q = await new Tpm2ToolsDevice({ tcti: b.tcti }).quote(akB, BOOT, Uint8Array.of(1));
    assert.ok(q.message.length > 0);
    assert.equal(await transients(b), "");
  });

  it("a nonce larger than TPM2B_DATA is refused the same way on both paths", async () => {
    const big = randomBytes(100);
    await rejectsWithCode(native.quote(akA, BOOT, big), "EW_ERR_TPM_COMMAND");
    await rejectsWithCode(tools.quote(akA, BOOT, big), "EW_ERR_TPM_COMMAND");
    assert.equal(await transients(a), "");
  });
});
