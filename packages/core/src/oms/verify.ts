import type { KeyObject } from "node:crypto";
import { EdgewardError } from "../errors/index.ts";
import { parseBundle } from "./bundle.ts";
import { IN_TOTO_PAYLOAD_TYPE, SHARD_ALIGNMENT } from "./constants.ts";
import { verifyPae } from "./dsse.ts";
import { hashRanges, withModelFile, type ModelSource } from "./hash-model.ts";
import { publicKeyHint, toVerifyingKey } from "./keys.ts";
import { SINGLE_FILE_RESOURCE, parseShardName, sizeFromShardRanges, type ByteRange } from "./layout.ts";
import { parseStatement, type OmsResource, type OmsStatement } from "./statement.ts";

/** What {@link verifyModel} checks: an untrusted bundle, the publisher's key, and the model's bytes. */
export interface VerifyModelOptions {
  /** The bundle as parsed JSON, untrusted. */
  readonly bundle: unknown;
  /** The publisher's P-256 public key: a KeyObject or SPKI PEM. */
  readonly publicKey: KeyObject | string;
  /** The model file. */
  readonly path?: string;
  /** The model's bytes (SharedArrayBuffer-backed: hashed in place by the workers). */
  readonly data?: Uint8Array;
  /**
   * SHA-256 of each plaintext shard, in order, at {@link bundleShardSize}: the decryptor computes these while it
   * decrypts. When given for a `shards` bundle they stand for the model's bytes (`data`, if also given, is only
   * checked for its length); for a `files` bundle they are ignored and `data` or `path` is hashed.
   */
  readonly shardDigests?: readonly Uint8Array[];
  /** When given, the signed model name must equal it. */
  readonly name?: string;
}

/** A verified model signature. */
export interface ModelVerification {
  /** The signed model name. */
  readonly name: string;
  /** The subject digest (hex): SHA-256 over the resource digests, naming this exact model. */
  readonly digest: string;
  readonly method: "files" | "shards";
  /** The shard size for `shards`, undefined for `files`. */
  readonly shardSize: number | undefined;
  readonly resources: readonly OmsResource[];
  /** The model's size in bytes. */
  readonly size: number;
}

/**
 * Verifies an OMS v1.0 model signature against a single-file model. In order: the publisher key is P-256
 * (EW_ERR_SIG_KEY_INVALID); the bundle is well formed (EW_ERR_OMS_BUNDLE_MALFORMED, EW_ERR_OMS_UNSUPPORTED); it
 * carries an in-toto statement (EW_ERR_OMS_PAYLOAD_TYPE); its key hint names this key (EW_ERR_SIG_KEY_MISMATCH);
 * the DSSE signature verifies (EW_ERR_SIG_INVALID); the statement is an OMS v1.0 statement
 * (EW_ERR_OMS_PREDICATE, EW_ERR_OMS_UNSUPPORTED); the name matches if asked (EW_ERR_SIG_NAME_MISMATCH); and the
 * model's bytes give the signed digests (EW_ERR_SIG_DIGEST_MISMATCH). Upstream's `files` bundles verify too.
 */
export async function verifyModel(options: VerifyModelOptions): Promise<ModelVerification> {
  const signature = verifySignature(options);
  return checkSignedModel(signature, options);
}

/**
 * A bundle whose DSSE signature verified under the publisher's key and whose statement is an OMS v1.0 statement
 * (naming the expected model when one was asked for). No model bytes have been checked yet.
 */
export interface VerifiedSignature {
  readonly statement: OmsStatement;
  /**
   * The shard size a decryptor should hash at so its shard digests stand for the model (the statement's 64
   * KiB-aligned `shard_size`), or undefined when the model's bytes must be hashed whole.
   */
  readonly shardSize: number | undefined;
}

/**
 * The first half of {@link verifyModel}: checks the key, the envelope and the DSSE signature, and only then reads
 * the statement (DSSE protocol.md: a verifier parses the payload only after the signature verified), so a forged
 * bundle is EW_ERR_SIG_INVALID whatever its statement says, on every path. Then the name, if asked for.
 */
export function verifySignature(options: Pick<VerifyModelOptions, "bundle" | "publicKey" | "name">): VerifiedSignature {
  const key = toVerifyingKey(options.publicKey);
  const statement = verifyBundle(options.bundle, key);
  if (options.name !== undefined && options.name !== statement.name)
    throw new EdgewardError("EW_ERR_SIG_NAME_MISMATCH", { detail: `signed for ${JSON.stringify(statement.name)}` });
  const aligned = statement.shardSize !== undefined && statement.shardSize % SHARD_ALIGNMENT === 0;
  return { statement, shardSize: aligned ? statement.shardSize : undefined };
}

/** The second half of {@link verifyModel}: the model's bytes (or their shard digests) against a verified signature. */
export async function checkSignedModel(
  signature: VerifiedSignature,
  model: Pick<VerifyModelOptions, "path" | "data" | "shardDigests">,
): Promise<ModelVerification> {
  const size = await checkModel(signature.statement, model);
  const { name, digest, method, shardSize, resources } = signature.statement;
  return { name, digest, method, shardSize, resources, size };
}

/**
 * The shard size the verifier will hash at, so a decryptor can compute {@link VerifyModelOptions.shardDigests}
 * as a by-product: the bundle's `shard_size` when it uses the `shards` method with a 64 KiB-aligned size (all
 * Edgeward bundles), otherwise undefined (then pass `data` and the verifier hashes it). Reads the statement
 * before its signature is checked, so treat the answer as a hint; {@link verifyModel} checks everything again.
 * Throws as parsing in verifyModel does (EW_ERR_OMS_BUNDLE_MALFORMED, …).
 */
export function bundleShardSize(bundle: unknown): number | undefined {
  const envelope = parseBundle(bundle);
  requireInTotoPayload(envelope.payloadType);
  const statement = parseStatement(envelope.payload);
  if (statement.shardSize === undefined || statement.shardSize % SHARD_ALIGNMENT !== 0) return undefined;
  return statement.shardSize;
}

/**
 * Checks an untrusted bundle's envelope and signature with `publicKey` and returns its statement; no model bytes
 * are read. Unlike {@link verifyModel} it accepts any EC key sigstore pairs with a digest (P-256, P-384, P-521),
 * so upstream's P-384 test vectors can be checked; Edgeward's key policy (P-256) is applied by verifyModel.
 */
export function verifyBundle(bundle: unknown, publicKey: KeyObject): OmsStatement {
  const envelope = parseBundle(bundle);
  requireInTotoPayload(envelope.payloadType);
  // model-transparency sign_ec_key.py: a present hint must be this key's; an absent one (pre-1.1) is skipped.
  if (envelope.hint !== undefined && envelope.hint !== publicKeyHint(publicKey))
    throw new EdgewardError("EW_ERR_SIG_KEY_MISMATCH");
  verifyPae(envelope.payloadType, envelope.payload, envelope.signature, publicKey);
  return parseStatement(envelope.payload);
}

/**
 * Checks a single-file model's bytes against a verified statement and returns its size. The resources must
 * describe one file (`.`, or `.:START:END` shards tiling [0, n)); a directory model is EW_ERR_OMS_UNSUPPORTED.
 */
export async function checkModel(
  statement: OmsStatement,
  model: Pick<VerifyModelOptions, "path" | "data" | "shardDigests">,
): Promise<number> {
  const signed = signedLayout(statement);
  if (signed.ranges !== undefined && model.shardDigests !== undefined) {
    if (model.data !== undefined && model.data.length !== signed.size) throw mismatch("the model's length differs");
    compare(model.shardDigests, signed.digests);
    return signed.size;
  }
  if (model.data !== undefined && model.path === undefined)
    return checkSource(signed, { kind: "bytes", data: model.data }, model.data.length);
  if (model.path !== undefined && model.data === undefined)
    return withModelFile(model.path, false, (fd, size) => checkSource(signed, { kind: "fd", fd }, size));
  throw new EdgewardError("EW_ERR_USAGE", {
    detail: "verifyModel needs exactly one of path and data (or shardDigests for a shards bundle)",
  });
}

/** What a statement signs for a single file: shard ranges and size (`shards`), or one whole-file digest (`files`). */
type SignedLayout =
  | { readonly ranges: readonly ByteRange[]; readonly size: number; readonly digests: readonly string[] }
  | { readonly ranges: undefined; readonly size: undefined; readonly digests: readonly string[] };

function signedLayout(statement: OmsStatement): SignedLayout {
  const directory = () => new EdgewardError("EW_ERR_OMS_UNSUPPORTED", { detail: "directory models are not supported" });
  if (statement.method === "files") {
    const [only, ...rest] = statement.resources;
    if (only === undefined || rest.length > 0 || only.name !== SINGLE_FILE_RESOURCE) throw directory();
    return { ranges: undefined, size: undefined, digests: [only.digest] };
  }
  const entries: { range: ByteRange; digest: string }[] = [];
  for (const resource of statement.resources) {
    const shard = parseShardName(resource.name);
    if (shard?.path !== SINGLE_FILE_RESOURCE) throw directory();
    entries.push({ range: shard.range, digest: resource.digest });
  }
  entries.sort((a, b) => a.range.start - b.range.start);
  const ranges = entries.map((e) => e.range);
  const size = sizeFromShardRanges(ranges, statement.shardSize ?? 0);
  if (size === undefined)
    throw new EdgewardError("EW_ERR_OMS_PREDICATE", {
      detail: "the shards do not tile one file without gaps or overlaps",
    });
  return { ranges, size, digests: entries.map((e) => e.digest) };
}

async function checkSource(signed: SignedLayout, source: ModelSource, size: number): Promise<number> {
  if (signed.size !== undefined && size !== signed.size) throw mismatch("the model's length differs");
  const ranges = signed.ranges ?? [{ start: 0, end: size }];
  compare(await hashRanges(source, ranges), signed.digests);
  return size;
}

function compare(actual: readonly Uint8Array[], expected: readonly string[]): void {
  if (actual.length !== expected.length) throw mismatch(`${actual.length} shards where ${expected.length} were signed`);
  for (const [i, digest] of actual.entries())
    if (Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString("hex") !== expected[i])
      throw mismatch(`shard ${i} differs`);
}

function mismatch(detail: string): EdgewardError {
  return new EdgewardError("EW_ERR_SIG_DIGEST_MISMATCH", { detail });
}

function requireInTotoPayload(payloadType: string): void {
  // DSSE protocol.md, verifier step 4: reject a payload type the verifier does not expect.
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE)
    throw new EdgewardError("EW_ERR_OMS_PAYLOAD_TYPE", { detail: JSON.stringify(payloadType.slice(0, 80)) });
}
