import { createPublicKey, type KeyObject } from "node:crypto";
import type { Command } from "commander";
import {
  EdgewardError,
  formatPcrSelection,
  parseAttest,
  parsePcrValuesFile,
  TPM_ST,
  verifyQuote,
  type PcrValues,
} from "@edgeward/core";
import { readSmallFile } from "@edgeward/io";
import { printJson, printLines } from "../support/output.ts";
import { parseHex } from "./tpm-common.ts";

interface VerifyQuoteOptions {
  ak: string;
  message: string;
  signature: string;
  pcrs: string;
  nonce: string;
  expectPcrs?: string;
  signer?: string;
  json?: boolean;
}

/**
 * `edgeward tpm verify-quote`: verifies, in process, the three files `tpm2_quote -m -s -o` writes by default
 * (TPMS_ATTEST, TPMT_SIGNATURE, serialized PCR values) against an AK given as PEM. Needs no TPM.
 */
export function registerTpmVerifyQuote(tpm: Command): void {
  tpm
    .command("verify-quote")
    .description("verify a TPM quote in process: AK signature, nonce, PCR digest (and expected PCR values)")
    .requiredOption("--ak <pem>", "the attestation key's public key (PEM)")
    .requiredOption("--message <file>", "the quote message (tpm2_quote -m)")
    .requiredOption("--signature <file>", "the signature (tpm2_quote -s)")
    .requiredOption("--pcrs <file>", "the PCR values (tpm2_quote -o)")
    .requiredOption("--nonce <hex>", "the nonce the verifier issued, hex")
    .option("--expect-pcrs <file>", "reference PCR values (JSON, tpm2_pcrread YAML, or a tpm2 PCR file)")
    .option("--signer <hex>", "the AK's qualified name recorded at enrolment (ak.name)")
    .option("--json", "print the verified quote as JSON")
    .action(async (opts: VerifyQuoteOptions) => {
      const [akPem, message, signature, pcrsFile] = await Promise.all([
        readSmallFile(opts.ak, "AK public key"),
        readSmallFile(opts.message, "quote message"),
        readSmallFile(opts.signature, "quote signature"),
        readSmallFile(opts.pcrs, "PCR values"),
      ]);
      // The values file may be tpm2-tools' "values" form, which only the quote's own selection can split.
      const attested = parseAttest(message).attested;
      const selection = attested.type === TPM_ST.ATTEST_QUOTE ? attested.pcrSelect : undefined;
      const pcrValues = parsePcrValuesFile(pcrsFile, selection).values;
      let expectedPcrs: PcrValues | undefined;
      if (opts.expectPcrs !== undefined)
        expectedPcrs = parsePcrValuesFile(
          await readSmallFile(opts.expectPcrs, "expected PCR values"),
          selection,
        ).values;
      const v = verifyQuote({
        message,
        signature,
        akPublicKey: parsePem(akPem),
        nonce: parseHex(opts.nonce, "--nonce"),
        pcrValues,
        ...(expectedPcrs === undefined ? {} : { expectedPcrs }),
        ...(opts.signer === undefined ? {} : { expectedSigner: parseHex(opts.signer.trim(), "--signer", 66) }),
      });
      const summary = {
        verified: true,
        pcrs: formatPcrSelection(v.selection),
        values: Object.fromEntries(
          Object.entries(v.pcrValues).map(([bank, entries]) => [
            bank,
            Object.fromEntries(
              Object.entries(entries as Record<number, Uint8Array>).map(([i, d]) => [
                i,
                Buffer.from(d).toString("hex"),
              ]),
            ),
          ]),
        ),
        clock: v.clockInfo.clock.toString(),
        resetCount: v.clockInfo.resetCount,
        restartCount: v.clockInfo.restartCount,
        safe: v.clockInfo.safe,
        firmwareVersion: v.firmwareVersion.toString(16),
        qualifiedSigner: Buffer.from(v.qualifiedSigner).toString("hex"),
      };
      if (opts.json) return printJson(summary);
      printLines(
        `quote OK: signature, nonce and PCR digest verified over ${summary.pcrs}`,
        `clock ${summary.clock} ms, resetCount ${summary.resetCount}, restartCount ${summary.restartCount}`,
        ...(expectedPcrs === undefined ? [] : ["expected PCR values: all match"]),
      );
    });
}

function parsePem(pem: Uint8Array): KeyObject {
  try {
    const key = createPublicKey(Buffer.from(pem));
    if (key.type !== "public") throw new Error("not a public key");
    return key;
  } catch (err) {
    throw new EdgewardError("EW_ERR_TPM_PARSE", { detail: "--ak is not a PEM public key", cause: err });
  }
}
