import { EdgewardError } from "@edgeward/core/errors";
import { EMPTY_ROOT } from "../merkle/hash.ts";
import { checkSignedState, type SignedState, type SignedStateStore, type TreeHead } from "./state.ts";

/**
 * The durable log's use of a {@link SignedStateStore}: record each checkpoint before it is signed into storage,
 * and refuse to sign over storage that is behind or apart from what was signed. Every call is made while the
 * log holds its storage's write lock, so writers in several processes see and update the state in turn.
 *
 * A checkpoint is recorded as signed before its commit and as committed at the next commit, open or close. A
 * process killed after a commit leaves it recorded as signed only; until the log is next opened, a copy of
 * storage from just before that commit would pass as the commit never having happened.
 */
export class SignedStateGuard {
  readonly #store: SignedStateStore;
  readonly #vkey: string;

  constructor(store: SignedStateStore, vkey: string) {
    this.#store = store;
    this.#vkey = vkey;
  }

  /**
   * Before a new log is created: the key must not have signed any non-empty tree already (a new log under a
   * used key could sign a second tree for a size the old one signed). Records the empty tree.
   */
  async atCreate(): Promise<void> {
    const state = await this.#store.read();
    if (state !== undefined) {
      this.#sameKey(state);
      if (state.signed.size > 0)
        throw new EdgewardError("EW_ERR_LOG_ROLLED_BACK", {
          detail: `the key already signed a tree of size ${state.signed.size} (recorded in ${this.#store.location}); a new log needs a new key`,
        });
    }
    const empty = { size: 0, root: EMPTY_ROOT };
    await this.#store.write({ vkey: this.#vkey, signed: empty, committed: empty });
  }

  /** Checks storage whose latest verified checkpoint is `head` against the state (see checkSignedState). */
  async check(head: TreeHead, rootAt: (size: number) => Promise<Uint8Array>): Promise<SignedState> {
    const state = await this.#store.read();
    if (state === undefined)
      throw new EdgewardError("EW_ERR_LOG_SIGNED_STATE", {
        detail: `${this.#store.location} is missing; it is written when the log is created`,
      });
    this.#sameKey(state);
    await checkSignedState(state, head, rootAt, this.#store.location);
    return state;
  }

  /** After a successful check: marks a signed checkpoint that storage now holds as committed. */
  async confirm(state: SignedState, head: TreeHead): Promise<void> {
    if (state.signed.size === head.size && state.committed.size < head.size)
      await this.#store.write({ vkey: this.#vkey, signed: state.signed, committed: state.signed });
  }

  /** Records `next` as signed over the stored `head`, durably, before its checkpoint is committed. */
  async willSign(head: TreeHead, next: TreeHead): Promise<void> {
    await this.#store.write({ vkey: this.#vkey, signed: next, committed: head });
  }

  #sameKey(state: SignedState): void {
    if (state.vkey !== this.#vkey)
      throw new EdgewardError("EW_ERR_LOG_SIGNED_STATE", {
        detail: `${this.#store.location} is the state of ${state.vkey}, not of ${this.#vkey}`,
      });
  }
}
