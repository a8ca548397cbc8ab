/**
 * The guard that runs beside the serving model (ARCHITECTURE.md "The flows" 5, promise 8). A release may carry a
 * guard file; the release names its SHA-256 digest, so the guard cannot be switched off or loosened on the device
 * without breaking the release's signature. {@link GuardSlot.prepare} loads and checks a guard file before the
 * release's model is switched in, so a guard that does not match (EW_ERR_GUARD_DIGEST, EW_ERR_GUARD_MODEL_DIGEST,
 * EW_ERR_GUARD_FILE) leaves the serving model and its guard as they were.
 */
import {
  createGuard,
  enabledStages,
  loadGuard,
  loadGuardFromBundle,
  type Guard,
  type LoadedGuard,
  type ReviewQueue,
} from "@edgeward/guard";

/**
 * The guard a release names, with the digest the release signs: a guard file beside the release (`path`), or the
 * files of the guard bundle the release carries, opened into memory (`files`, zeroed once loaded), with the
 * release's own model for the guard model it does not ship twice.
 */
export type ReleaseGuard =
  | { readonly path: string; readonly digest: string }
  | {
      readonly files: ReadonlyMap<string, Uint8Array>;
      readonly digest: string;
      readonly releaseModel?: { readonly sha256: string; readonly bytes: Uint8Array };
    };

/** A guard loaded and checked, not yet serving. */
export interface PreparedGuard {
  readonly guard: Guard;
  /** SHA-256 of the guard file loaded, and the one the release names (equal, or it would not have loaded). */
  readonly digest: string;
  readonly releaseDigest: string;
  /** The stages the guard file enables (what state.json reports). */
  readonly stages: readonly string[];
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

  /** Loads the guard file (or bundle) and its models, each checked against its digest; nothing serving changes. */
  async prepare(release: ReleaseGuard): Promise<PreparedGuard> {
    const expectedDigest = release.digest;
    const loaded =
      "path" in release
        ? await loadGuard(release.path, { expectedDigest })
        : await loadGuardFromBundle(release.files, {
            expectedDigest,
            ...(release.releaseModel === undefined ? {} : { releaseModel: release.releaseModel }),
          });
    const options = this.#reviewQueue === undefined ? {} : { reviewQueue: this.#reviewQueue };
    return {
      guard: createGuard(loaded.config, loaded.models, options),
      digest: loaded.digest,
      releaseDigest: expectedDigest,
      stages: enabledStages(loaded.config),
      loaded,
    };
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
