import { createHash } from "node:crypto";
import { EdgewardError } from "../errors/index.ts";
import { IN_TOTO_STATEMENT_TYPE, OMS_HASH_TYPE, OMS_PREDICATE_TYPE, OMS_PREDICATE_TYPE_V01 } from "./constants.ts";
import {
  asArray,
  asBoolean,
  asObject,
  asPositiveInteger,
  asSha256Hex,
  asString,
  field,
  type JsonObject,
} from "./json-guard.ts";
import { parseShardName, shardAlgorithm } from "./layout.ts";

/** One OMS resource descriptor: a file or a file shard and the digest of its bytes. */
export interface OmsResource {
  /** `.` or `PATH` (files), `PATH:START:END` (shards). */
  readonly name: string;
  /** `sha256` (files) or `sha256-sharded-SHARD_SIZE` (shards). */
  readonly algorithm: string;
  /** Lowercase hex. */
  readonly digest: string;
}

/** What an OMS v1.0 statement says, after every field was checked. */
export interface OmsStatement {
  /** The subject's name: the model's name (informative only in OMS). */
  readonly name: string;
  /** The subject digest: SHA-256 over the resource digests, in listed order (lowercase hex). */
  readonly digest: string;
  readonly method: "files" | "shards";
  /** The shard size for `shards`; undefined for `files`. */
  readonly shardSize: number | undefined;
  readonly resources: readonly OmsResource[];
}

/**
 * The subject digest (model-transparency signing.py `Payload`): SHA-256 over the raw resource digests,
 * concatenated in the order the resources are listed.
 */
export function subjectDigest(resourceDigests: readonly Uint8Array[]): string {
  const hash = createHash("sha256");
  for (const d of resourceDigests) hash.update(d);
  return hash.digest("hex");
}

/**
 * The in-toto Statement v1 of a model signature (in-toto attestation spec/v1/statement.md; OMS predicate
 * `https://model_signing/signature/v1.0`), encoded as the DSSE payload. Field order follows upstream's golden
 * payloads; `allow_symlinks` is false because the signer refuses a symbolic link.
 */
export function encodeStatement(statement: OmsStatement): Buffer {
  const serialization =
    statement.method === "shards"
      ? { method: "shards", hash_type: OMS_HASH_TYPE, allow_symlinks: false, shard_size: statement.shardSize }
      : { method: "files", hash_type: OMS_HASH_TYPE, allow_symlinks: false };
  const body = {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [{ name: statement.name, digest: { sha256: statement.digest } }],
    predicateType: OMS_PREDICATE_TYPE,
    predicate: {
      serialization,
      resources: statement.resources.map((r) => ({ algorithm: r.algorithm, digest: r.digest, name: r.name })),
    },
  };
  return Buffer.from(JSON.stringify(body, null, 2), "utf8");
}

/**
 * Parses and checks an OMS v1.0 statement (model-transparency signing.py `dsse_payload_to_manifest`, but
 * strict). Call only on a payload whose signature verified. Throws EW_ERR_OMS_PREDICATE for a statement that
 * is not a valid v1.0 model signature, EW_ERR_OMS_UNSUPPORTED for valid ones Edgeward cannot check (another
 * hash, another serialization method, the pre-1.0 predicate). Predicate fields other than `serialization` and
 * `resources` are ignored, as v1.0 requires.
 */
export function parseStatement(payload: Uint8Array): OmsStatement {
  const P = "EW_ERR_OMS_PREDICATE" as const;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch (err) {
    throw new EdgewardError(P, { detail: "the statement is not UTF-8 JSON", cause: err });
  }
  const statement = asObject(json, P, "statement");
  if (field(statement, "_type") !== IN_TOTO_STATEMENT_TYPE)
    throw new EdgewardError(P, { detail: "_type is not an in-toto Statement v1" });
  const predicateType = asString(field(statement, "predicateType"), P, "predicateType");
  if (predicateType === OMS_PREDICATE_TYPE_V01)
    throw new EdgewardError("EW_ERR_OMS_UNSUPPORTED", {
      detail: "pre-1.0 predicate https://model_signing/Digests/v0.1",
    });
  if (predicateType !== OMS_PREDICATE_TYPE)
    throw new EdgewardError(P, { detail: `predicateType ${JSON.stringify(predicateType.slice(0, 80))}` });

  const subjects = asArray(field(statement, "subject"), P, "subject");
  if (subjects.length !== 1) throw new EdgewardError(P, { detail: "subject must hold exactly one entry" });
  const subject = asObject(subjects[0], P, "subject[0]");
  const name = asString(field(subject, "name"), P, "subject[0].name");
  const digest = asSha256Hex(field(asObject(field(subject, "digest"), P, "subject[0].digest"), "sha256"), P, "sha256");

  const predicate = asObject(field(statement, "predicate"), P, "predicate");
  const { method, shardSize } = parseSerialization(asObject(field(predicate, "serialization"), P, "serialization"));
  const resources = parseResources(asArray(field(predicate, "resources"), P, "resources"), method, shardSize);

  // signing.py: "Manifest is inconsistent" unless the subject digest hashes the resource digests.
  if (subjectDigest(resources.map((r) => Buffer.from(r.digest, "hex"))) !== digest)
    throw new EdgewardError(P, { detail: "the subject digest does not hash the resource digests" });
  return { name, digest, method, shardSize, resources };
}

function parseSerialization(serialization: JsonObject): { method: "files" | "shards"; shardSize: number | undefined } {
  const P = "EW_ERR_OMS_PREDICATE" as const;
  const method = asString(field(serialization, "method"), P, "serialization.method");
  if (method !== "files" && method !== "shards")
    throw new EdgewardError("EW_ERR_OMS_UNSUPPORTED", { detail: `serialization method ${JSON.stringify(method)}` });
  const hashType = asString(field(serialization, "hash_type"), P, "serialization.hash_type");
  if (hashType !== OMS_HASH_TYPE)
    throw new EdgewardError("EW_ERR_OMS_UNSUPPORTED", { detail: `hash type ${JSON.stringify(hashType.slice(0, 40))}` });
  asBoolean(field(serialization, "allow_symlinks"), P, "serialization.allow_symlinks");
  const ignore = field(serialization, "ignore_paths");
  if (ignore !== undefined)
    for (const [i, p] of asArray(ignore, P, "serialization.ignore_paths").entries())
      asString(p, P, `ignore_paths[${i}]`);
  if (method === "files") return { method, shardSize: undefined };
  return { method, shardSize: asPositiveInteger(field(serialization, "shard_size"), P, "serialization.shard_size") };
}

function parseResources(list: unknown[], method: "files" | "shards", shardSize: number | undefined): OmsResource[] {
  const P = "EW_ERR_OMS_PREDICATE" as const;
  const expectedAlgorithm = shardSize === undefined ? OMS_HASH_TYPE : shardAlgorithm(shardSize);
  const seen = new Set<string>();
  return list.map((item, i) => {
    const entry = asObject(item, P, `resources[${i}]`);
    const name = asString(field(entry, "name"), P, `resources[${i}].name`);
    const algorithm = asString(field(entry, "algorithm"), P, `resources[${i}].algorithm`);
    const digest = asSha256Hex(field(entry, "digest"), P, `resources[${i}].digest`);
    if (algorithm !== expectedAlgorithm)
      throw new EdgewardError(P, { detail: `resources[${i}].algorithm is not ${expectedAlgorithm}` });
    if (name === "") throw new EdgewardError(P, { detail: `resources[${i}].name is empty` });
    if (method === "shards") {
      const shard = parseShardName(name);
      if (
        shard === undefined ||
        shard.range.end <= shard.range.start ||
        shard.range.end - shard.range.start > shardSize!
      )
        throw new EdgewardError(P, { detail: `resources[${i}].name is not a shard PATH:START:END` });
    }
    if (seen.has(name)) throw new EdgewardError(P, { detail: `resources[${i}] repeats ${JSON.stringify(name)}` });
    seen.add(name);
    return { name, algorithm, digest };
  });
}
