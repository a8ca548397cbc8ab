/**
 * The guard that runs beside the serving model (ARCHITECTURE.md "The flows" 5, promise 8). A release may carry a
 * guard file; the release names its SHA-256 digest, so the guard cannot be switched off or loosened on the device
 * without breaking the release's signature. {@link GuardSlot.prepare} loads and checks a guard file before the
 * release's model is switched in, so a guard that does not match (EW_ERR_GUARD_DIGEST, EW_ERR_GUARD_MODEL_DIGEST,
 * EW_ERR_GUARD_FILE) leaves the serving model and its guard as they were.
 */
import { createGuard, loadGuard, type Guard, type LoadedGuard, type ReviewQueue } from "@edgeward/guard";

/** The guard file a release names: where it lies beside the release, and the digest the release signs. */
export interface ReleaseGuard {
  readonly path: string;
  readonly digest: string;
}

/** A guard loaded and checked, not yet serving. */
export interface PreparedGuard {
  readonly guard: Guard;
  readonly digest: string;
  readonly loaded: LoadedGuard;
}

/** Holds the serving guard (or none, for a release without a guard file). */
export class GuardSlot {
  readonly #reviewQueue: ReviewQueue | undefined;
  #current: PreparedGuard | undefined;

  /** `reviewQueue`: where flagged inputs go, age-sealed to the review recipient before anything is written. */
  constructor(options: { readonly reviewQueue?: ReviewQueue } = {}) {
    this.#reviewQueue = options.reviewQueue;
  }

  /** Loads the guard file and its models, each checked against its digest; nothing serving changes. */
  async prepare(release: ReleaseGuard): Promise<PreparedGuard> {
    const loaded = await loadGuard(release.path, { expectedDigest: release.digest });
    const options = this.#reviewQueue === undefined ? {} : { reviewQueue: this.#reviewQueue };
    return { guard: createGuard(loaded.config, loaded.models, options), digest: loaded.digest, loaded };
  }

  /** Makes `next` the serving guard (undefined: the new release has none) and releases the previous one. */
  async swap(next: PreparedGuard | undefined): Promise<void> {
    const previous = this.#current;
    this.#current = next;
    if (previous !== undefined && previous !== next) await previous.loaded.close();
  }

  /** The serving guard, if the serving release has one. */
  current(): PreparedGuard | undefined {
    return this.#current;
  }

  /** The review queue flagged inputs are sealed into, for audit shipping to drain. */
  reviewQueue(): ReviewQueue | undefined {
    return this.#reviewQueue;
  }

  /** Releases the guard's model sessions (shutdown). */
  async close(): Promise<void> {
    await this.swap(undefined);
  }
}
