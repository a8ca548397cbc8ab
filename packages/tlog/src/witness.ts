import { EdgewardError } from "@edgeward/core/errors";
import { openCheckpoint, type SignedCheckpoint } from "./checkpoint.ts";
import { EMPTY_ROOT, equalBytes } from "./merkle/hash.ts";
import { verifyConsistency } from "./merkle/verify.ts";
import { cosignatureTimestamp, parseVerifierKey, SIG_COSIGNATURE, type NoteVerifier } from "./note/keys.ts";
import { openNote, signatureLine } from "./note/note.ts";
import type { NoteSigner } from "./note/signer.ts";

/** Which witnesses a client trusts, and how many of them must cosign (c2sp.org/tlog-cosignature). */
export interface WitnessPolicy {
  /** Witness verifier keys, signature type 0x04. */
  readonly witnesses: readonly string[];
  /** How many distinct trusted witnesses must have cosigned. */
  readonly threshold: number;
  /** Latest acceptable cosignature time, POSIX seconds (cosignatures from the future may be rejected). */
  readonly notAfter?: number;
}

/** A verified cosignature. */
export interface Cosignature {
  readonly witness: string;
  readonly timestamp: bigint;
}

/**
 * Checks the witness cosignatures on a checkpoint note against a policy and returns the ones that verified.
 * Throws EW_ERR_WITNESS_QUORUM below the threshold, EW_ERR_NOTE_SIGNATURE for a bad signature from a trusted
 * witness, EW_ERR_COSIGNATURE_TIME for a timestamp past `notAfter`.
 */
export function verifyCosignatures(note: string, policy: WitnessPolicy): Cosignature[] {
  const verifiers = policy.witnesses.map(parseVerifierKey);
  for (const v of verifiers)
    if (v.type !== SIG_COSIGNATURE)
      throw new EdgewardError("EW_ERR_NOTE_VKEY", { detail: `${v.name} is not a cosignature key` });
  if (!Number.isInteger(policy.threshold) || policy.threshold < 1 || policy.threshold > verifiers.length)
    throw new EdgewardError("EW_ERR_USAGE", { detail: `witness threshold ${policy.threshold} of ${verifiers.length}` });
  let opened;
  try {
    opened = openNote(note, verifiers);
  } catch (err) {
    if (err instanceof EdgewardError && err.code === "EW_ERR_NOTE_UNKNOWN_KEY")
      throw new EdgewardError("EW_ERR_WITNESS_QUORUM", { detail: `0 of ${policy.threshold}` });
    throw err;
  }
  const out: Cosignature[] = [];
  for (const v of opened.verifiedBy) {
    const sig = opened.signatures.find((s) => s.name === v.name && s.keyId === v.keyId)!;
    const timestamp = cosignatureTimestamp(sig.signature);
    if (policy.notAfter !== undefined && timestamp > BigInt(Math.floor(policy.notAfter)))
      throw new EdgewardError("EW_ERR_COSIGNATURE_TIME", { detail: `${v.name} signed at ${timestamp}` });
    out.push({ witness: v.name, timestamp });
  }
  if (out.length < policy.threshold)
    throw new EdgewardError("EW_ERR_WITNESS_QUORUM", { detail: `${out.length} of ${policy.threshold}` });
  return out;
}

/**
 * A witness: remembers the latest checkpoint it cosigned for each log it follows and cosigns a new one only
 * when a consistency proof shows it extends that one (c2sp.org/tlog-cosignature: a cosignature states that this
 * is the largest consistent tree head the cosigner has observed). Its state is the notes it last cosigned,
 * which the caller persists ({@link Witness.state}).
 */
export class Witness {
  readonly #signer: NoteSigner;
  readonly #logs = new Map<string, { key: NoteVerifier; last: SignedCheckpoint | undefined }>();

  constructor(signer: NoteSigner) {
    if (signer.type !== SIG_COSIGNATURE)
      throw new EdgewardError("EW_ERR_NOTE_SKEY", { detail: "a witness key has type 0x04" });
    this.#signer = signer;
  }

  /** This witness's verifier key (type 0x04). */
  get vkey(): string {
    return this.#signer.vkey;
  }

  /** Follows a log: its key and, if known, the last checkpoint cosigned for it. */
  follow(logVkey: string, lastCosigned?: string): void {
    const key = parseVerifierKey(logVkey);
    this.#logs.set(key.name, { key, last: lastCosigned === undefined ? undefined : openCheckpoint(lastCosigned, key) });
  }

  /** The last cosigned checkpoint note of each followed log, by origin. */
  state(): Record<string, string | undefined> {
    return Object.fromEntries([...this.#logs].map(([origin, s]) => [origin, s.last?.note]));
  }

  /**
   * Verifies `note` (signed by a followed log) and its consistency with the last cosigned checkpoint, then returns
   * the cosignature line to append to the note. Refuses a smaller tree (EW_ERR_CHECKPOINT_STALE) and a tree that
   * does not extend the last one (EW_ERR_CHECKPOINT_INCONSISTENT).
   */
  cosign(note: string, consistencyProof: readonly Uint8Array[]): string {
    const origin = note.slice(0, note.indexOf("\n"));
    const log = this.#logs.get(origin);
    if (log === undefined) throw new EdgewardError("EW_ERR_CHECKPOINT_ORIGIN", { detail: `${origin} is not followed` });
    const cp = openCheckpoint(note, log.key);
    if (log.last !== undefined) checkExtends(log.last, cp, consistencyProof);
    log.last = cp;
    return signatureLine(this.#signer, cp.text);
  }
}

/** Throws unless `next` extends `prev` according to `proof` (RFC 9162 §2.1.4.2). */
export function checkExtends(
  prev: { readonly size: number; readonly root: Uint8Array },
  next: { readonly size: number; readonly root: Uint8Array },
  proof: readonly Uint8Array[],
): void {
  if (next.size < prev.size)
    throw new EdgewardError("EW_ERR_CHECKPOINT_STALE", { detail: `size ${next.size} < ${prev.size}` });
  if (prev.size === 0) {
    // Every tree extends the empty one, whose root is fixed (RFC 9162 §2.1.1); there is nothing to prove.
    if (!equalBytes(prev.root, EMPTY_ROOT) || (next.size === 0 && !equalBytes(next.root, EMPTY_ROOT)))
      throw new EdgewardError("EW_ERR_CHECKPOINT_INCONSISTENT", { detail: "empty tree with a non-empty root" });
    return;
  }
  try {
    verifyConsistency(prev.size, next.size, prev.root, next.root, proof);
  } catch (err) {
    throw new EdgewardError("EW_ERR_CHECKPOINT_INCONSISTENT", { detail: `${prev.size} → ${next.size}`, cause: err });
  }
}
