/**
 * EK certificate chain validation (TCG EK Credential Profile for TPM 2.0 §3; RFC 5280 §6 path validation, the
 * parts a TPM chain needs). A verifier configures the manufacturers' root certificates; the device sends its EK
 * certificate (read from NV) and any intermediates.
 *
 * EK certificates have quirks a general TLS verifier trips on: the subject is often empty, the subject alternative
 * name is critical and holds only a directoryName with the TPM manufacturer, model and version (TCG OIDs
 * 2.23.133.2.1-3), the EK is an encryption-only key, and NV may pad the DER with trailing bytes. This code accepts
 * those and checks what matters: signatures, issuer names, CA flags, validity, and that the certified key is the EK.
 */
import { X509Certificate, type KeyObject } from "node:crypto";
import { EdgewardError } from "../errors/index.ts";

/** Inputs to {@link verifyEkCertificate}: certificates as DER bytes or PEM text. */
export interface VerifyEkCertificateInput {
  readonly certificate: Uint8Array | string;
  readonly intermediates?: readonly (Uint8Array | string)[];
  /** The manufacturer roots this verifier trusts. */
  readonly roots: readonly (Uint8Array | string)[];
  /** The EK public key read from the TPM; when given, the certificate must certify exactly this key. */
  readonly ekPublicKey?: KeyObject;
  /** Validation time (defaults to now). */
  readonly at?: Date;
}

/** A validated EK certificate. */
export interface VerifiedEkCertificate {
  readonly certificate: X509Certificate;
  /** The chain from the EK certificate up to and including the trusted root. */
  readonly chain: readonly X509Certificate[];
  /** TPM manufacturer, model and version from the subject alternative name, when present. */
  readonly tpm: { readonly manufacturer?: string; readonly model?: string; readonly version?: string };
}

const MAX_DEPTH = 6;

/** Validates an EK certificate against configured roots; throws EW_ERR_TPM_EK_CERT_* codes. */
export function verifyEkCertificate(input: VerifyEkCertificateInput): VerifiedEkCertificate {
  const leaf = parseEkCertificate(input.certificate);
  const pool = (input.intermediates ?? []).map(parseEkCertificate);
  const roots = input.roots.map(parseEkCertificate);
  const at = input.at ?? new Date();
  if (input.ekPublicKey !== undefined && !leaf.publicKey.equals(input.ekPublicKey))
    throw new EdgewardError("EW_ERR_TPM_EK_CERT_KEY");
  const chain: X509Certificate[] = [leaf];
  let current = leaf;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    checkValidity(current, at);
    const root = roots.find((r) => issued(r, current));
    if (root !== undefined) {
      checkValidity(root, at);
      chain.push(root);
      return { certificate: leaf, chain, tpm: tpmIdentity(leaf) };
    }
    const next = pool.find(
      (c) => issued(c, current) && !chain.some((seen) => seen.fingerprint256 === c.fingerprint256),
    );
    if (next === undefined) break;
    chain.push(next);
    current = next;
  }
  throw new EdgewardError("EW_ERR_TPM_EK_CERT_CHAIN", { detail: `issuer "${current.issuer.replace(/\n/g, ", ")}"` });
}

/** Parses DER (trailing NV padding removed) or PEM; EW_ERR_TPM_EK_CERT_PARSE on anything else. */
export function parseEkCertificate(input: Uint8Array | string): X509Certificate {
  try {
    return new X509Certificate(typeof input === "string" ? input : trimDer(input));
  } catch (err) {
    throw new EdgewardError("EW_ERR_TPM_EK_CERT_PARSE", { cause: err });
  }
}

/** The DER SEQUENCE at the start of `bytes`, without the zero or 0xff padding NV indices often add. */
export function trimDer(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x30) return bytes;
  const first = bytes[1] ?? 0;
  if (first < 0x80) return bytes.subarray(0, Math.min(bytes.length, 2 + first));
  const n = first & 0x7f;
  if (n === 0 || n > 4 || bytes.length < 2 + n) return bytes;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + (bytes[2 + i] ?? 0);
  return bytes.subarray(0, Math.min(bytes.length, 2 + n + len));
}

/** `issuer` issued `cert`: names chain, the issuer is a CA, and its key verifies the signature. */
function issued(issuer: X509Certificate, cert: X509Certificate): boolean {
  return issuer.ca && cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

function checkValidity(cert: X509Certificate, at: Date): void {
  if (at < cert.validFromDate || at > cert.validToDate)
    throw new EdgewardError("EW_ERR_TPM_EK_CERT_EXPIRED", { detail: cert.subject.replace(/\n/g, ", ") });
}

/** TCG attributes in the SAN directoryName (EK Credential Profile §3.2.9): tpmManufacturer, tpmModel, tpmVersion. */
function tpmIdentity(cert: X509Certificate): VerifiedEkCertificate["tpm"] {
  const san = cert.subjectAltName ?? "";
  const pick = (name: string, oid: string): string | undefined => {
    const m = new RegExp(`(?:${name}|${oid.replace(/\./g, "\\.")})=([^,"\\\\]+)`).exec(san);
    return m?.[1];
  };
  const out: { manufacturer?: string; model?: string; version?: string } = {};
  const manufacturer = pick("tcg-at-tpmManufacturer", "2.23.133.2.1");
  const model = pick("tcg-at-tpmModel", "2.23.133.2.2");
  const version = pick("tcg-at-tpmVersion", "2.23.133.2.3");
  if (manufacturer !== undefined) out.manufacturer = manufacturer;
  if (model !== undefined) out.model = model;
  if (version !== undefined) out.version = version;
  return out;
}
