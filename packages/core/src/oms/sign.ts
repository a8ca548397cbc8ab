import type { KeyObject } from "node:crypto";
import { EdgewardError } from "../errors/index.ts";
import { buildBundle, type OmsBundle } from "./bundle.ts";
import { DEFAULT_SHARD_SIZE, IN_TOTO_PAYLOAD_TYPE, SHARD_ALIGNMENT } from "./constants.ts";
import { signPae } from "./dsse.ts";
import { hashRanges, withModelFile, type ModelSource } from "./hash-model.ts";
import { publicKeyHint, toSigningKey } from "./keys.ts";
import { SINGLE_FILE_RESOURCE, shardAlgorithm, shardRanges, shardResourceName } from "./layout.ts";
import { encodeStatement, subjectDigest, type OmsStatement } from "./statement.ts";

/** What {@link signModel} signs: a single-file model by path or in memory, a name, and the publisher's key. */
export type SignModelOptions = (
  | { readonly path: string; readonly data?: undefined }
  | { readonly data: Uint8Array; readonly path?: undefined }
) & {
  /** The model's name, the in-toto subject name (upstream uses the file's base name). */
  readonly name: string;
  /** The publisher's P-256 private key: a KeyObject or PEM (PKCS#8). */
  readonly privateKey: KeyObject | string;
  /** Shard size in bytes: a positive multiple of 65536; default 16 MiB ({@link DEFAULT_SHARD_SIZE}). */
  readonly shardSize?: number;
};

/**
 * Signs a single-file model as an OpenSSF Model Signing v1.0 bundle: the `shards` serialization (each shard
 * hashed with SHA-256 on the worker pool), an in-toto statement with predicate `https://model_signing/signature/v1.0`,
 * a DSSE envelope signed with ECDSA P-256/SHA-256, and the key's hint in a sigstore bundle v0.3.
 *
 * Throws EW_ERR_SIG_KEY_INVALID (not a P-256 private key), EW_ERR_OMS_SHARD_SIZE, EW_ERR_OMS_UNSUPPORTED
 * (a directory, a symbolic link, a special file), EW_ERR_IO (the file cannot be read or changed while read),
 * EW_ERR_USAGE (neither or both of path and data, or an empty name).
 */
export async function signModel(options: SignModelOptions): Promise<OmsBundle> {
  const key = toSigningKey(options.privateKey);
  const shardSize = options.shardSize ?? DEFAULT_SHARD_SIZE;
  if (!Number.isSafeInteger(shardSize) || shardSize <= 0 || shardSize % SHARD_ALIGNMENT !== 0)
    throw new EdgewardError("EW_ERR_OMS_SHARD_SIZE", { detail: String(shardSize) });
  if (typeof options.name !== "string" || options.name === "")
    throw new EdgewardError("EW_ERR_USAGE", { detail: "signModel needs a non-empty model name" });

  const statement = await withSource(options, (source, size) =>
    buildShardStatement(options.name, source, size, shardSize),
  );
  return signStatement(statement, key);
}

/** What {@link signShardDigests} signs: shard digests computed elsewhere (while sealing), not a file. */
export interface SignShardDigestsOptions {
  readonly name: string;
  readonly privateKey: KeyObject | string;
  /** The shard size the digests were computed at: a positive multiple of 65536. */
  readonly shardSize: number;
  /** The model's size in bytes. */
  readonly size: number;
  /** SHA-256 of each shard [i·shardSize, min((i+1)·shardSize, size)), in order. */
  readonly shardDigests: readonly Uint8Array[];
}

/**
 * Signs a single-file model from its shard digests, as {@link signModel} would from its bytes: `edgeward seal
 * --sign` passes the digests of the plaintext read back from the sealed file, so the signature is over exactly
 * the bytes sealed. Throws as signModel, and EW_ERR_USAGE when the digests do not match the size.
 */
export function signShardDigests(options: SignShardDigestsOptions): OmsBundle {
  const key = toSigningKey(options.privateKey);
  const { shardSize, size, shardDigests, name } = options;
  if (!Number.isSafeInteger(shardSize) || shardSize <= 0 || shardSize % SHARD_ALIGNMENT !== 0)
    throw new EdgewardError("EW_ERR_OMS_SHARD_SIZE", { detail: String(shardSize) });
  if (typeof name !== "string" || name === "")
    throw new EdgewardError("EW_ERR_USAGE", { detail: "signShardDigests needs a non-empty model name" });
  const ranges = shardRanges(size, shardSize);
  if (ranges.length !== shardDigests.length || shardDigests.some((d) => d.length !== 32))
    throw new EdgewardError("EW_ERR_USAGE", { detail: `${size} bytes need ${ranges.length} shard digests` });
  return signStatement(shardStatement(name, shardSize, ranges, shardDigests), key);
}

function signStatement(statement: OmsStatement, key: KeyObject): OmsBundle {
  const payload = encodeStatement(statement);
  const signature = signPae(IN_TOTO_PAYLOAD_TYPE, payload, key);
  return buildBundle(IN_TOTO_PAYLOAD_TYPE, payload, signature, publicKeyHint(key));
}

/**
 * The `shards` statement of a single-file model: any positive shard size (upstream's golden payloads use 8 and
 * 10^9); signModel adds the 64 KiB alignment rule.
 */
export async function buildShardStatement(
  name: string,
  source: ModelSource,
  size: number,
  shardSize: number,
): Promise<OmsStatement> {
  const ranges = shardRanges(size, shardSize);
  return shardStatement(name, shardSize, ranges, await hashRanges(source, ranges));
}

function shardStatement(
  name: string,
  shardSize: number,
  ranges: ReturnType<typeof shardRanges>,
  digests: readonly Uint8Array[],
): OmsStatement {
  const algorithm = shardAlgorithm(shardSize);
  // manifest.py `resource_descriptors` lists shards sorted by (path, start, end): ascending start here.
  // hashRanges returns one digest per range, in order.
  const resources = ranges.map((range, i) => ({
    name: shardResourceName(SINGLE_FILE_RESOURCE, range),
    algorithm,
    digest: Buffer.from(digests[i]!).toString("hex"),
  }));
  return { name, digest: subjectDigest(digests), method: "shards", shardSize, resources };
}

function withSource<T>(
  options: { readonly path?: string | undefined; readonly data?: Uint8Array | undefined },
  fn: (source: ModelSource, size: number) => Promise<T>,
): Promise<T> {
  if (options.path !== undefined && options.data === undefined)
    return withModelFile(options.path, true, (fd, size) => fn({ kind: "fd", fd }, size));
  if (options.data instanceof Uint8Array && options.path === undefined)
    return fn({ kind: "bytes", data: options.data }, options.data.length);
  throw new EdgewardError("EW_ERR_USAGE", { detail: "signModel needs exactly one of path and data" });
}
