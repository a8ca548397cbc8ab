import { bundleFromJSON, isBundleWithDsseEnvelope, isBundleWithPublicKey } from "@sigstore/bundle";
import { EdgewardError } from "../errors/index.ts";
import { OMS_BUNDLE_MEDIA_TYPE } from "./constants.ts";
import { asArray, asObject, asString, decodeBase64, field, type JsonObject } from "./json-guard.ts";

/**
 * An OMS v1.0 key-signed model signature: a sigstore bundle v0.3 (protobuf-specs `sigstore_bundle.proto`,
 * proto3 JSON) holding one DSSE envelope and a public-key hint, with no transparency-log entries — the shape
 * model-transparency's key-based signer writes (`sign_ec_key.py`). Plain JSON: `JSON.stringify` it, or use
 * {@link serializeBundle}.
 */
export interface OmsBundle {
  readonly mediaType: typeof OMS_BUNDLE_MEDIA_TYPE;
  readonly verificationMaterial: {
    /** `hint`: lowercase hex SHA-256 of the signer's SPKI PEM public key. */
    readonly publicKey: { readonly hint: string };
    readonly tlogEntries: readonly never[];
  };
  readonly dsseEnvelope: {
    /** The in-toto statement, standard base64. */
    readonly payload: string;
    readonly payloadType: string;
    /** Exactly one signature: DER ECDSA over the DSSE PAE, standard base64; `keyid` empty as upstream writes it. */
    readonly signatures: readonly [{ readonly sig: string; readonly keyid: string }];
  };
}

/** The envelope parts of a bundle after shape checks, before any signature check. */
export interface ParsedEnvelope {
  readonly payloadType: string;
  readonly payload: Buffer;
  readonly signature: Buffer;
  /** The public-key hint, or undefined when the bundle has none (pre-1.1 upstream signers wrote `rawBytes`). */
  readonly hint: string | undefined;
}

/** Assembles the bundle object from a signed statement. */
export function buildBundle(payloadType: string, payload: Uint8Array, signature: Uint8Array, hint: string): OmsBundle {
  return {
    mediaType: OMS_BUNDLE_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint }, tlogEntries: [] },
    dsseEnvelope: {
      payload: Buffer.from(payload).toString("base64"),
      payloadType,
      signatures: [{ sig: Buffer.from(signature).toString("base64"), keyid: "" }],
    },
  };
}

/** The bundle as the JSON text written to `MODEL.sig` (compact, as upstream's `Bundle.to_json()`, plus a newline). */
export function serializeBundle(bundle: OmsBundle): string {
  return `${JSON.stringify(bundle)}\n`;
}

/**
 * Checks the shape of an untrusted bundle (parsed JSON) and extracts its DSSE envelope. Fails closed:
 * EW_ERR_OMS_BUNDLE_MALFORMED for anything not shaped like a bundle, EW_ERR_OMS_UNSUPPORTED for real sigstore
 * features Edgeward does not check (certificates, log entries, timestamps, message signatures, several signatures).
 */
export function parseBundle(value: unknown): ParsedEnvelope {
  const M = "EW_ERR_OMS_BUNDLE_MALFORMED" as const;
  const U = "EW_ERR_OMS_UNSUPPORTED" as const;
  const bundle = asObject(value, M, "bundle");
  const mediaType = asString(field(bundle, "mediaType"), M, "mediaType");
  if (mediaType !== OMS_BUNDLE_MEDIA_TYPE) {
    const code = mediaType.startsWith("application/vnd.dev.sigstore.bundle") ? U : M;
    throw new EdgewardError(code, { detail: `media type ${JSON.stringify(mediaType.slice(0, 80))}` });
  }

  const material = asObject(field(bundle, "verificationMaterial"), M, "verificationMaterial");
  const hint = parseMaterial(material);

  if (field(bundle, "messageSignature") !== undefined)
    throw new EdgewardError(U, { detail: "a message signature instead of a DSSE envelope" });
  const envelope = asObject(field(bundle, "dsseEnvelope"), M, "dsseEnvelope");
  const payload = decodeBase64(field(envelope, "payload"), M, "dsseEnvelope.payload");
  if (payload.length === 0) throw new EdgewardError(M, { detail: "dsseEnvelope.payload is empty" });
  const payloadType = asString(field(envelope, "payloadType"), M, "dsseEnvelope.payloadType");
  const signatures = asArray(field(envelope, "signatures"), M, "dsseEnvelope.signatures");
  if (signatures.length === 0) throw new EdgewardError(M, { detail: "dsseEnvelope.signatures is empty" });
  if (signatures.length > 1) throw new EdgewardError(U, { detail: "more than one DSSE signature" });
  const entry = asObject(signatures[0], M, "dsseEnvelope.signatures[0]");
  const signature = decodeBase64(field(entry, "sig"), M, "dsseEnvelope.signatures[0].sig");
  if (signature.length === 0) throw new EdgewardError(M, { detail: "dsseEnvelope.signatures[0].sig is empty" });
  const keyid = field(entry, "keyid");
  // proto3 JSON: an absent or null string is the default ""; upstream v1.0.0 wrote null.
  if (keyid !== undefined && keyid !== null) asString(keyid, M, "dsseEnvelope.signatures[0].keyid");

  checkWithSigstoreBundle(value);
  return { payloadType, payload, signature, hint };
}

function parseMaterial(material: JsonObject): string | undefined {
  const M = "EW_ERR_OMS_BUNDLE_MALFORMED" as const;
  const U = "EW_ERR_OMS_UNSUPPORTED" as const;
  for (const key of ["certificate", "x509CertificateChain"])
    if (field(material, key) !== undefined)
      throw new EdgewardError(U, {
        detail: `certificate-based signature (${key}); only key-based signatures are checked`,
      });
  const tlog = field(material, "tlogEntries");
  if (tlog !== undefined && tlog !== null && asArray(tlog, M, "verificationMaterial.tlogEntries").length > 0)
    throw new EdgewardError(U, { detail: "transparency log entries cannot be checked offline" });
  const tsa = field(material, "timestampVerificationData");
  if (tsa !== undefined && tsa !== null) {
    const stamps = field(asObject(tsa, M, "verificationMaterial.timestampVerificationData"), "rfc3161Timestamps");
    if (stamps !== undefined && asArray(stamps, M, "rfc3161Timestamps").length > 0)
      throw new EdgewardError(U, { detail: "RFC 3161 timestamps are not checked" });
  }
  const publicKey = asObject(field(material, "publicKey"), M, "verificationMaterial.publicKey");
  // Upstream v1.0.x wrote `rawBytes`/`keyDetails` here instead of `hint`; like upstream's reader, ignore them:
  // the caller's key decides, and the signature check below proves it signed.
  const hint = field(publicKey, "hint");
  if (hint === undefined || hint === null || hint === "") return undefined;
  return asString(hint, M, "verificationMaterial.publicKey.hint");
}

/**
 * A second opinion from sigstore-js: `bundleFromJSON` runs the bundle validator for the media type
 * (`assertBundleLatest` for v0.3). Our own checks above are stricter, so this only fails on our bugs.
 */
function checkWithSigstoreBundle(value: unknown): void {
  let ok = false;
  try {
    const parsed = bundleFromJSON(value);
    ok = isBundleWithDsseEnvelope(parsed) && isBundleWithPublicKey(parsed);
  } catch (err) {
    throw new EdgewardError("EW_ERR_OMS_BUNDLE_MALFORMED", { detail: "rejected by @sigstore/bundle", cause: err });
  }
  if (!ok) throw new EdgewardError("EW_ERR_OMS_BUNDLE_MALFORMED", { detail: "not a DSSE bundle with a public key" });
}
