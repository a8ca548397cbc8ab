import { EdgewardError } from "@edgeward/core/errors";
import { decodeBase64, encodeBase64 } from "../note/base64.ts";
import { HASH_SIZE, equalBytes } from "../merkle/hash.ts";
import { MAX_TREE_SIZE } from "../merkle/math.ts";

/** A tree size and its root hash. */
export interface TreeHead {
  readonly size: number;
  readonly root: Uint8Array;
}

/**
 * What a log's signing key has signed, kept apart from the log's storage so that storage restored from an older
 * copy cannot make the key sign a second checkpoint for a size it already signed (c2sp.org/tlog-checkpoint: a
 * log must never sign two different trees of one size). `signed` is the last checkpoint signed; `committed` the
 * last one known to be stored. They differ while a commit is in flight, or after a crash during one.
 */
export interface SignedState {
  /** The verifier key of the key that signed (`name+keyid+base64`). */
  readonly vkey: string;
  readonly signed: TreeHead;
  readonly committed: TreeHead;
}

/** Where a {@link SignedState} is kept; writes must be atomic and durable before they return. */
export interface SignedStateStore {
  /** Human-readable location, for messages. */
  readonly location: string;
  /** The stored state, or undefined when none was ever written. */
  read(): Promise<SignedState | undefined>;
  /** Replaces the stored state atomically and durably. */
  write(state: SignedState): Promise<void>;
}

/** The state's text form: one JSON object, roots in base64. */
export function formatSignedState(state: SignedState): string {
  const head = (h: TreeHead) => ({ size: h.size, root: encodeBase64(h.root) });
  return `${JSON.stringify({ vkey: state.vkey, signed: head(state.signed), committed: head(state.committed) })}\n`;
}

/** Parses {@link formatSignedState}'s output, refusing anything else with EW_ERR_LOG_SIGNED_STATE. */
export function parseSignedState(text: string, location: string): SignedState {
  const bad = (detail: string, cause?: unknown): EdgewardError =>
    new EdgewardError("EW_ERR_LOG_SIGNED_STATE", {
      detail: `${location}: ${detail}`,
      ...(cause === undefined ? {} : { cause }),
    });
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw bad("not JSON", err);
  }
  const o = v as Record<string, unknown> | null;
  if (typeof o !== "object" || o === null || typeof o["vkey"] !== "string") throw bad("no verifier key");
  const head = (name: string): TreeHead => {
    const h = o[name] as Record<string, unknown> | undefined;
    const size = h?.["size"];
    const root = h?.["root"];
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0 || size > MAX_TREE_SIZE)
      throw bad(`${name}.size is not a tree size`);
    if (typeof root !== "string") throw bad(`${name}.root is missing`);
    const bytes = decodeBase64(root, "EW_ERR_LOG_SIGNED_STATE", `${name}.root`);
    if (bytes.length !== HASH_SIZE) throw bad(`${name}.root is not ${HASH_SIZE} bytes`);
    return { size, root: bytes };
  };
  const state = { vkey: o["vkey"], signed: head("signed"), committed: head("committed") };
  if (state.committed.size > state.signed.size) throw bad("committed is past signed");
  return state;
}

/**
 * Checks that storage whose latest verified checkpoint is `head` holds the history the key signed: every tree
 * the state names that storage covers must have the signed root there (`rootAt` reads it from storage), and
 * storage may be short only of a checkpoint that was signed but whose commit never completed (it was never
 * stored, so never released). Anything else is storage restored from an older copy or forked from the signed
 * history: EW_ERR_LOG_ROLLED_BACK, and the key must not sign over it.
 */
export async function checkSignedState(
  state: SignedState,
  head: TreeHead,
  rootAt: (size: number) => Promise<Uint8Array>,
  location: string,
): Promise<void> {
  const rolledBack = (detail: string): EdgewardError =>
    new EdgewardError("EW_ERR_LOG_ROLLED_BACK", {
      detail: `${detail} (the signed state is kept in ${location}); restore the newest copy of the log's storage, or start a new log with a new key`,
    });
  const { signed, committed } = state;
  if (committed.size > head.size)
    throw rolledBack(
      `the key signed and stored a checkpoint of size ${committed.size}, but storage ends at size ${head.size}`,
    );
  if (signed.size > head.size && committed.size !== head.size)
    throw rolledBack(`the key signed size ${signed.size}, but storage ends at size ${head.size}`);
  for (const h of [committed, signed]) {
    if (h.size > head.size) continue;
    const root = h.size === head.size ? head.root : await rootAt(h.size);
    if (!equalBytes(root, h.root))
      throw rolledBack(`storage's tree of size ${h.size} is not the tree the key signed for that size`);
  }
}
