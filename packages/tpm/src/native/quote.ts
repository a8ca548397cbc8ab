/**
 * TPM2_Quote over a direct transport: the attestation key re-derived in the endorsement hierarchy, the quote, and
 * the PCR values read after it — one connection, no process, and evidence byte-compatible with what
 * `tpm2_quote -m -s -o` writes (message, signature, serialized PCR file).
 */
import {
  EdgewardError,
  parseAttest,
  pcrDigest,
  readSignature,
  TPM_ALG,
  TPM_RH,
  TPM_ST,
  TpmReader,
  TpmWriter,
  writePcrSelection,
  type PcrSelection,
} from "@edgeward/core";
import type { AttestationKey, QuoteEvidence } from "../device.ts";
import { CC, passwordAuth, TpmCommands } from "./commands.ts";
import { readPcrs, serializePcrsFile } from "./pcr-read.ts";
import { openTransport } from "./transport.ts";

/**
 * TPMA_OBJECT (Part 2 §8.3.2) of `fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign`:
 * fixedTPM (bit 1), fixedParent (4), sensitiveDataOrigin (5), userWithAuth (6), restricted (16), sign (18).
 */
const AK_ATTRIBUTES = (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 16) | (1 << 18);

/**
 * The TPMT_PUBLIC template `tpm2_createprimary -C e -g sha256 -G ecc256:ecdsa-sha256:null -a AK_ATTRS` sends
 * (Part 2 §12.2.4): ECC, nameAlg SHA-256, no policy, no symmetric algorithm (a signing key has none), the
 * ECDSA-SHA256 scheme, NIST P-256, no KDF, an empty unique. A primary is derived from the seed and the template,
 * so the same bytes give the same key: the one `createAttestationKey` made.
 */
export function akTemplate(): Uint8Array {
  return new TpmWriter()
    .u16(TPM_ALG.ECC)
    .u16(TPM_ALG.SHA256)
    .u32(AK_ATTRIBUTES)
    .tpm2b(new Uint8Array(0)) // authPolicy
    .u16(TPM_ALG.NULL) // symmetric
    .u16(TPM_ALG.ECDSA)
    .u16(TPM_ALG.SHA256)
    .u16(0x0003) // TPM_ECC_NIST_P256
    .u16(TPM_ALG.NULL) // kdf
    .tpm2b(new Uint8Array(0)) // unique.x
    .tpm2b(new Uint8Array(0)) // unique.y
    .finish();
}

/** A quote by `ak` over `pcrs` with qualifying data `nonce`, the same evidence `Tpm2ToolsDevice.quote` returns. */
export async function nativeQuote(
  tcti: string,
  ak: AttestationKey,
  pcrs: PcrSelection,
  nonce: Uint8Array,
): Promise<QuoteEvidence> {
  const transport = await openTransport(tcti);
  try {
    return await quoteOn(new TpmCommands(transport), ak, pcrs, nonce);
  } finally {
    await transport.close();
  }
}

/**
 * The quote on an open connection. The AK is recreated and must be the enrolled one — the same public area and
 * name — or the quote is refused (EW_ERR_TPM_FOREIGN_KEY), never signed by another key. The PCRs are read after
 * the quote, as tpm2_quote does; when they do not hash to the quote's pcrDigest, or pcrUpdateCounter moved between
 * two TPM2_PCR_Read answers (a PCR was extended in between), the quote is taken again once, then EW_ERR_TPM_BUSY. The AK is flushed on every path.
 */
export async function quoteOn(
  tpm: TpmCommands,
  ak: AttestationKey,
  pcrs: PcrSelection,
  nonce: Uint8Array,
): Promise<QuoteEvidence> {
  const created = await tpm.createPrimaryIn(TPM_RH.ENDORSEMENT, akTemplate());
  try {
    if (!equal(created.outPublic, ak.public) || !equal(created.name, ak.name))
      throw new EdgewardError("EW_ERR_TPM_FOREIGN_KEY", { detail: "the attestation key belongs to another TPM" });
    for (let attempt = 1; ; attempt++) {
      const { message, signature } = await quote(tpm, created.handle, pcrs, nonce);
      const attested = parseAttest(message).attested;
      if (attested.type !== TPM_ST.ATTEST_QUOTE)
        throw new EdgewardError("EW_ERR_TPM_ATTEST_TYPE", { detail: "TPM2_Quote returned another attestation" });
      const read = await readPcrs(tpm, pcrs);
      // Part 3 §18.4.1: pcrDigest is H_sign(the selected PCRs in selection order); the values sent with the quote
      // must be the ones it signed, or every verifier refuses them.
      if (read.consistent && equal(pcrDigest(read.values, pcrs, "sha256"), attested.pcrDigest)) {
        const pcrsFile = serializePcrsFile(pcrs, read.lists);
        return { message, signature, pcrsFile, pcrValues: read.values };
      }
      if (attempt === 2)
        throw new EdgewardError("EW_ERR_TPM_BUSY", { detail: "the quoted PCRs changed while they were read, twice" });
    }
  } finally {
    await tpm.flush(created.handle);
  }
}

/**
 * TPM2_Quote (Part 3 §18.4) with the AK's USER role (userWithAuth, empty auth value) and the scheme tpm2_quote
 * picks with `-g sha256` for this key: its own, ECDSA with SHA-256. Returns the TPMS_ATTEST bytes (TPM2B_ATTEST
 * without its size, as `-m` writes them) and the TPMT_SIGNATURE bytes (as `-s` writes them by default).
 */
async function quote(
  tpm: TpmCommands,
  akHandle: number,
  pcrs: PcrSelection,
  nonce: Uint8Array,
): Promise<{ message: Uint8Array; signature: Uint8Array }> {
  const params = writePcrSelection(
    new TpmWriter().tpm2b(nonce).u16(TPM_ALG.ECDSA).u16(TPM_ALG.SHA256), // qualifyingData, inScheme
    pcrs,
  ).finish();
  const r = await tpm.call(CC.Quote, [akHandle], passwordAuth(), params);
  const rd = new TpmReader(r.params, "TPM2_Quote response");
  const message = rd.tpm2b(0xffff, "TPM2B_ATTEST");
  const start = rd.offset;
  readSignature(rd);
  const signature = rd.slice(start, rd.offset);
  rd.end();
  return { message, signature };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
