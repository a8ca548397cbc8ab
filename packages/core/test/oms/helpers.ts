// Shared by the OMS tests: keys, models, and re-signing a statement so a test can reach checks past the signature.
import { createPrivateKey, randomBytes } from "node:crypto";
import { buildBundle, type OmsBundle } from "../../src/oms/bundle.ts";
import { IN_TOTO_PAYLOAD_TYPE } from "../../src/oms/constants.ts";
import { signPae } from "../../src/oms/dsse.ts";
import { generateSigningKey, publicKeyHint, type SigningKeyPair } from "../../src/oms/keys.ts";

/**
 * A bundle as tests see and bend it: the fields they touch, typed loosely enough that a test can delete a
 * required field or put a value of the wrong type in it.
 */
export interface BundleJson {
  mediaType?: unknown;
  verificationMaterial: {
    publicKey?: { hint?: unknown };
    tlogEntries: unknown[];
    certificate?: unknown;
    x509CertificateChain?: unknown;
  };
  dsseEnvelope?: { payload: string; payloadType: string; signatures: { sig: unknown; keyid?: unknown }[] };
  messageSignature?: unknown;
}

/** One resource descriptor of a statement. */
export interface ResourceJson {
  algorithm: string;
  digest: string;
  name: string;
}

/** An in-toto statement as tests see and bend it. */
export interface StatementJson {
  _type: string;
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: string;
  predicate: { serialization?: Record<string, unknown>; resources?: ResourceJson[] };
}

let cached: SigningKeyPair | undefined;

/** One publisher key pair for a test file (P-256 generation is cheap, but the same key keeps failures readable). */
export function publisher(): SigningKeyPair {
  cached ??= generateSigningKey();
  return cached;
}

/** `size` random bytes. */
export function randomModel(size: number): Buffer {
  return randomBytes(size);
}

/** A deep, mutable copy of a bundle as plain JSON. */
export function clone(bundle: OmsBundle): BundleJson {
  return JSON.parse(JSON.stringify(bundle)) as BundleJson;
}

/** The statement inside a bundle, decoded. */
export function statementOf(bundle: OmsBundle): StatementJson {
  return JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, "base64").toString("utf8")) as StatementJson;
}

/**
 * Rebuilds `bundle` around a changed statement (or raw payload) and signs it again with `keys`, so the
 * signature is valid and the verifier's later checks are what the test exercises.
 */
export function resign(
  bundle: OmsBundle,
  change: (statement: StatementJson) => StatementJson | void,
  options: { payloadType?: string; keys?: SigningKeyPair; raw?: Buffer } = {},
): OmsBundle {
  const statement = statementOf(bundle);
  const changed: unknown = change(statement) ?? statement;
  const payload = options.raw ?? Buffer.from(JSON.stringify(changed, null, 2), "utf8");
  const key = createPrivateKey((options.keys ?? publisher()).privateKeyPem);
  const payloadType = options.payloadType ?? IN_TOTO_PAYLOAD_TYPE;
  return buildBundle(payloadType, payload, signPae(payloadType, payload, key), publicKeyHint(key));
}
