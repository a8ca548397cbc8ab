import { EdgewardError } from "@edgeward/core/errors";
import { openCheckpoint, type SignedCheckpoint } from "./checkpoint.ts";
import { HASH_SIZE, leafHash } from "./merkle/hash.ts";
import { verifyInclusion } from "./merkle/verify.ts";
import { decodeBase64, encodeBase64 } from "./note/base64.ts";
import { parseVerifierKey } from "./note/keys.ts";
import { verifyCosignatures, type Cosignature, type WitnessPolicy } from "./witness.ts";

const HEADER = "c2sp.org/tlog-proof@v1";

/** The parts of a tlog-proof (c2sp.org/tlog-proof §Format). */
export interface TlogProof {
  /** Optional opaque, unauthenticated application data. */
  readonly extra?: Uint8Array;
  /** Zero-based index of the entry. */
  readonly index: number;
  /** Inclusion proof hashes, leaf side first (RFC 6962 §2.1.1). */
  readonly proof: readonly Uint8Array[];
  /** The checkpoint note, verbatim, with any cosignatures. */
  readonly checkpoint: string;
}

/** What an offline verifier trusts: the log's key (and origin) and optionally a witness policy. */
export interface ProofPolicy {
  readonly logKey: string;
  readonly origin?: string;
  readonly witnesses?: WitnessPolicy;
}

/** Formats a tlog-proof: header, optional extra line, index line, proof lines, blank line, checkpoint. */
export function formatTlogProof(p: TlogProof): string {
  const lines = [HEADER];
  if (p.extra !== undefined) lines.push(`extra ${encodeBase64(p.extra)}`);
  lines.push(`index ${p.index}`, ...p.proof.map(encodeBase64));
  return `${lines.join("\n")}\n\n${p.checkpoint}`;
}

/** Parses a tlog-proof, checking its structure (EW_ERR_PROOF_BUNDLE_MALFORMED); the checkpoint is parsed on verify. */
export function parseTlogProof(text: string): TlogProof {
  const split = text.indexOf("\n\n");
  if (split < 0) throw malformed("no blank line before the checkpoint");
  const lines = text.slice(0, split).split("\n");
  const checkpoint = text.slice(split + 2);
  if (lines[0] !== HEADER) throw malformed(`first line is not ${HEADER}`);
  let at = 1;
  let extra: Uint8Array | undefined;
  if (lines[at]?.startsWith("extra "))
    extra = decodeBase64(lines[at++]!.slice(6), "EW_ERR_PROOF_BUNDLE_MALFORMED", "extra data");
  const indexLine = lines[at++];
  const m = indexLine === undefined ? null : /^index (0|[1-9][0-9]*)$/.exec(indexLine);
  if (m === null) throw malformed("no index line");
  const index = Number(m[1]);
  if (!Number.isSafeInteger(index)) throw malformed("index is out of range");
  const proof = lines.slice(at).map((l) => {
    const h = decodeBase64(l, "EW_ERR_PROOF_BUNDLE_MALFORMED", "a proof hash");
    if (h.length !== HASH_SIZE) throw malformed(`a proof hash is ${h.length} bytes`);
    return h;
  });
  if (proof.length > 64) throw malformed("proof is longer than any tree needs");
  return extra === undefined ? { index, proof, checkpoint } : { extra, index, proof, checkpoint };
}

/**
 * Verifies a tlog-proof offline for `entry` (the logged bytes): the checkpoint's log signature and origin, the
 * witness quorum when the policy asks for one, and the inclusion proof of the entry's leaf hash at the index
 * under the checkpoint's root (RFC 9162 §2.1.3.2). Returns the checkpoint and cosignatures.
 */
export function verifyTlogProof(
  text: string,
  entry: Uint8Array,
  policy: ProofPolicy,
): { checkpoint: SignedCheckpoint; index: number; cosignatures: Cosignature[]; extra?: Uint8Array } {
  const bundle = parseTlogProof(text);
  const checkpoint = openCheckpoint(
    bundle.checkpoint,
    parseVerifierKey(policy.logKey),
    policy.origin === undefined ? {} : { origin: policy.origin },
  );
  const cosignatures = policy.witnesses === undefined ? [] : verifyCosignatures(bundle.checkpoint, policy.witnesses);
  verifyInclusion(leafHash(entry), bundle.index, checkpoint.size, bundle.proof, checkpoint.root);
  const out = { checkpoint, index: bundle.index, cosignatures };
  return bundle.extra === undefined ? out : { ...out, extra: bundle.extra };
}

function malformed(detail: string): EdgewardError {
  return new EdgewardError("EW_ERR_PROOF_BUNDLE_MALFORMED", { detail });
}
