/**
 * The device's half of enrolment and attestation (ARCHITECTURE.md "The flows" 2 and 3): the evidence it sends, in
 * the device API's JSON form (base64 binaries, lowercase hex digests; docs/agent.md "Device API").
 */
import { formatPcrSelection, parsePcrSelectionText, type PcrValues, type wire } from "@edgeward/core";
import type { AttestationKey, TpmDevice } from "@edgeward/tpm";
import type { DeviceRecord } from "./device-record.ts";
import { b64 } from "./wrapped-json.ts";

/**
 * Builds the enrolment request: EK public (and its certificate unless a token stands in for it), the AK, and
 * TPM2_Certify evidence, signed by the AK, that the unwrap key lives in the same TPM under its PCR policy.
 */
export async function enrolmentRequest(
  tpm: TpmDevice,
  record: DeviceRecord,
  ak: AttestationKey,
  proof: { readonly token: string } | { readonly ekCertificate: true },
): Promise<wire.EnrolRequest> {
  const ekPublic = await tpm.ekPublic(record.ekType);
  const certify = await tpm.certify(ak, record.unwrapKey);
  let ekCertificate: Uint8Array | null = null;
  if ("ekCertificate" in proof) ekCertificate = await tpm.ekCertificate(record.ekType);
  return {
    ...("token" in proof ? { token: proof.token } : {}),
    ...(ekCertificate === null ? {} : { ekCertificate: b64(ekCertificate) }),
    ekPublic: b64(ekPublic),
    ekType: record.ekType,
    akPublic: b64(ak.public),
    unwrapKey: {
      public: b64(record.unwrapKey.public),
      recipient: record.recipient,
      pcrSelection: formatPcrSelection(record.unwrapKey.pcrs),
    },
    certify: { attest: b64(certify.attest), signature: b64(certify.signature) },
  };
}

/** Answers the hub's MakeCredential challenge with TPM2_ActivateCredential (Part 3 §12.5): the recovered secret. */
export async function activateEnrolment(
  tpm: TpmDevice,
  record: DeviceRecord,
  ak: AttestationKey,
  credential: Uint8Array,
): Promise<string> {
  return b64(await tpm.activateCredential(ak, credential, record.ekType));
}

/** The evidence part of POST /v1/device/attest/quote. */
export type QuoteAnswer = Pick<wire.QuoteRequest, "quote" | "pcrs">;

/** Quotes the PCRs the hub selected over its nonce (hex), and returns them in the wire form. */
export async function answerChallenge(
  tpm: TpmDevice,
  ak: AttestationKey,
  challenge: { readonly nonce: string; readonly pcrSelection: string },
): Promise<QuoteAnswer> {
  const selection = parsePcrSelectionText(challenge.pcrSelection);
  const nonce = Buffer.from(challenge.nonce, "hex");
  const q = await tpm.quote(ak, selection, nonce);
  return { quote: { attest: b64(q.message), signature: b64(q.signature) }, pcrs: pcrsToWire(q.pcrValues) };
}

/** PCR values as `{bank: {index: hex}}`. */
export function pcrsToWire(values: PcrValues): wire.WirePcrValues {
  const out: Record<string, Record<string, string>> = {};
  for (const [bank, pcrs] of Object.entries(values)) {
    const entries: Record<string, string> = {};
    for (const [index, digest] of Object.entries(pcrs ?? {})) entries[index] = Buffer.from(digest).toString("hex");
    out[bank] = entries;
  }
  return out;
}
