import { EdgewardError } from "@edgeward/core/errors";
import { openCheckpoint, type SignedCheckpoint } from "./checkpoint.ts";
import { leafHash } from "./merkle/hash.ts";
import { verifyInclusion } from "./merkle/verify.ts";
import { parseVerifierKey, type NoteVerifier } from "./note/keys.ts";
import { verifyTlogProof } from "./proof-bundle.ts";
import { checkExtends, verifyCosignatures, type Cosignature, type WitnessPolicy } from "./witness.ts";

/** Configuration of a {@link LogVerifier}. */
export interface LogVerifierOptions {
  /** The log's verifier key (`name+keyid+base64`). */
  readonly logKey: string;
  /** The expected origin line; defaults to the key's name. */
  readonly origin?: string;
  /** Witness cosignatures required on every checkpoint accepted. */
  readonly witnesses?: WitnessPolicy;
  /** The last trusted checkpoint note, from a previous run. */
  readonly trusted?: string;
}

/**
 * A log client that keeps the last trusted checkpoint and moves forward only through a valid consistency proof
 * (RFC 9162 §2.1.4.2), so a log that rewrote or dropped history is detected: the hub runs one per device, a device
 * runs one for the hub's release log. Persist {@link LogVerifier.trustedNote} between runs.
 */
export class LogVerifier {
  readonly #key: NoteVerifier;
  readonly #keyText: string;
  readonly #origin: string;
  readonly #witnesses: WitnessPolicy | undefined;
  #trusted: SignedCheckpoint | undefined;

  constructor(options: LogVerifierOptions) {
    this.#key = parseVerifierKey(options.logKey);
    this.#keyText = options.logKey;
    this.#origin = options.origin ?? this.#key.name;
    this.#witnesses = options.witnesses;
    this.#trusted = options.trusted === undefined ? undefined : this.#open(options.trusted).checkpoint;
  }

  /** The last trusted checkpoint, if any. */
  get trusted(): SignedCheckpoint | undefined {
    return this.#trusted;
  }

  /** The last trusted checkpoint's note, to persist. */
  get trustedNote(): string | undefined {
    return this.#trusted?.note;
  }

  /**
   * Accepts `note` as the new trusted checkpoint if it is signed by the log (and witnessed as the policy asks) and
   * `proof` shows it extends the trusted one. Every element of the proof is folded into both roots, so a
   * rewritten entry anywhere in the old tree fails (EW_ERR_CHECKPOINT_INCONSISTENT); a smaller tree fails with
   * EW_ERR_CHECKPOINT_STALE (a truncated or rolled-back log). The first checkpoint is trusted on first use.
   */
  update(note: string, proof: readonly Uint8Array[]): { checkpoint: SignedCheckpoint; cosignatures: Cosignature[] } {
    const next = this.#open(note);
    if (this.#trusted !== undefined) checkExtends(this.#trusted, next.checkpoint, proof);
    this.#trusted = next.checkpoint;
    return next;
  }

  /** Verifies that `entry` is at `index` in the trusted tree (RFC 9162 §2.1.3.2). */
  verifyInclusion(entry: Uint8Array, index: number, proof: readonly Uint8Array[]): void {
    const t = this.#trusted;
    if (t === undefined) throw new EdgewardError("EW_ERR_CHECKPOINT_STALE", { detail: "no trusted checkpoint yet" });
    verifyInclusion(leafHash(entry), index, t.size, proof, t.root);
  }

  /**
   * Verifies a tlog-proof bundle for `entry` offline with this verifier's key and witness policy: signatures,
   * quorum and inclusion. A bundle carries no consistency proof, so its checkpoint is not compared with the
   * trusted one here; call {@link LogVerifier.update} with a proof to advance.
   */
  verifyBundle(bundle: string, entry: Uint8Array): { checkpoint: SignedCheckpoint; index: number } {
    const base = { logKey: this.#keyText, origin: this.#origin };
    const res = verifyTlogProof(
      bundle,
      entry,
      this.#witnesses === undefined ? base : { ...base, witnesses: this.#witnesses },
    );
    return { checkpoint: res.checkpoint, index: res.index };
  }

  #open(note: string): { checkpoint: SignedCheckpoint; cosignatures: Cosignature[] } {
    const checkpoint = openCheckpoint(note, this.#key, { origin: this.#origin });
    const cosignatures = this.#witnesses === undefined ? [] : verifyCosignatures(note, this.#witnesses);
    return { checkpoint, cosignatures };
  }
}
