// A small device-side client for the hub's device API, built on the TpmDevice interface (swtpm through
// tpm2-tools in tests): what the agent does to enrol and attest, kept here until the agent package drives the hub.
import {
  p256TagRecipient,
  parsePcrSelectionText,
  formatPcrSelection,
  type PcrSelection,
  type PcrValues,
  type wire,
} from "@edgeward/core";
import {
  wrappedPublicPoint,
  type AttestationKey,
  type EkType,
  type TpmDevice,
  type WrappedObject,
} from "@edgeward/tpm";

/** A device's keys, made once. */
export interface DeviceKeys {
  readonly tpm: TpmDevice;
  readonly ekType: EkType;
  readonly ak: AttestationKey;
  readonly unwrap: WrappedObject;
  readonly recipient: string;
  readonly certify: { attest: Uint8Array; signature: Uint8Array };
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");

/** Creates the AK and the PCR-bound unwrap key, and certifies the unwrap key with the AK (ARCHITECTURE.md flow 2). */
export async function makeDeviceKeys(tpm: TpmDevice, unwrapPcrs: PcrSelection, ekType: EkType = "rsa") {
  const ak = await tpm.createAttestationKey();
  const unwrap = await tpm.createDecryptionKey(unwrapPcrs);
  const certify = await tpm.certify(ak, unwrap);
  const keys: DeviceKeys = {
    tpm,
    ekType,
    ak,
    unwrap,
    recipient: p256TagRecipient(wrappedPublicPoint(unwrap)),
    certify,
  };
  return keys;
}

/** The enrolment body for `keys`, with the EK certificate from NV when asked and present, and/or a token. */
export async function enrolBody(keys: DeviceKeys, opts: { token?: string; ekCertificate?: boolean } = {}) {
  const body: wire.EnrolRequest = {
    ekPublic: b64(await keys.tpm.ekPublic(keys.ekType)),
    ekType: keys.ekType,
    akPublic: b64(keys.ak.public),
    unwrapKey: {
      public: b64(keys.unwrap.public),
      recipient: keys.recipient,
      pcrSelection: formatPcrSelection(keys.unwrap.pcrs),
    },
    certify: { attest: b64(keys.certify.attest), signature: b64(keys.certify.signature) },
  };
  if (opts.ekCertificate === true) {
    const der = await keys.tpm.ekCertificate(keys.ekType);
    if (der !== null) body.ekCertificate = b64(der);
  }
  if (opts.token !== undefined) body.token = opts.token;
  return body;
}

/** TPM2_ActivateCredential on the hub's credential; the activation body. */
export async function activateBody(keys: DeviceKeys, res: wire.EnrolResponse): Promise<wire.ActivateRequest> {
  const secret = await keys.tpm.activateCredential(keys.ak, Buffer.from(res.credential, "base64"), keys.ekType);
  return { enrolmentId: res.enrolmentId, secret: b64(secret) };
}

/** A quote over the challenge's selection with its nonce, as the quote body, with the event log when given. */
export async function quoteBody(
  keys: DeviceKeys,
  deviceId: string,
  challenge: wire.ChallengeResponse,
  extra: { csr?: string; nonce?: string; eventLog?: Uint8Array } = {},
): Promise<wire.QuoteRequest> {
  const sel = parsePcrSelectionText(challenge.pcrSelection);
  const q = await keys.tpm.quote(keys.ak, sel, Buffer.from(extra.nonce ?? challenge.nonce, "hex"));
  const body: wire.QuoteRequest = {
    deviceId,
    nonce: challenge.nonce,
    quote: { attest: b64(q.message), signature: b64(q.signature) },
    pcrs: pcrsToWire(q.pcrValues),
  };
  if (extra.csr !== undefined) body.csr = extra.csr;
  if (extra.eventLog !== undefined) body.eventLog = b64(extra.eventLog);
  return body;
}

/** Core PcrValues as the wire's bank → index → hex. */
export function pcrsToWire(values: PcrValues): wire.WirePcrValues {
  const out: Record<string, Record<string, string>> = {};
  for (const [bank, m] of Object.entries(values))
    out[bank] = Object.fromEntries(Object.entries(m ?? {}).map(([i, v]) => [i, Buffer.from(v).toString("hex")]));
  return out;
}
