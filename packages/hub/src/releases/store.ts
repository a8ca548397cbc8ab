/**
 * Where releases are recorded. The releases service is written against this interface; {@link MemoryReleaseStore}
 * serves unit tests, and the hub's database implements it over its `releases` table (kysely-store.ts).
 */
import { EdgewardError } from "@edgeward/core";
import type { ReleaseGuardManifest, ReleaseKind } from "./manifest.ts";

/** One release as stored. */
export interface ReleaseRecord {
  readonly id: string;
  readonly kind: ReleaseKind;
  readonly name: string;
  readonly version: string;
  /** The TUF target path ("NAME/VERSION"). */
  readonly targetName: string;
  readonly sha256: string;
  readonly length: number;
  readonly floor: string;
  readonly groups: readonly string[];
  /** The escrow-wrapped age header, base64; null for an unsealed package. */
  readonly header: string | null;
  readonly bundleSha256: string;
  /** The hub log entry that published it; null until the ciphertext is uploaded and the target published. */
  readonly logIndex: number | null;
  readonly createdAt: string;
  /** The id of the token that created it. */
  readonly createdBy: string | null;
  /** The release's guard, when its manifest declared one (a model release only); absent otherwise. */
  readonly guard?: ReleaseGuard;
}

/** A release's guard as stored: what the manifest declared, and whether the guard payload is uploaded. */
export interface ReleaseGuard extends ReleaseGuardManifest {
  readonly uploaded: boolean;
}

/** What {@link ReleaseStore.update} may change. */
export interface ReleasePatch {
  readonly groups?: readonly string[];
  readonly logIndex?: number;
  /** The guard with its upload recorded (only for a release that declared one). */
  readonly guard?: ReleaseGuard;
}

/** A page of {@link ReleaseStore.list}. */
export interface ReleaseListOptions {
  readonly limit: number;
  /** The id of the last release of the previous page. */
  readonly after?: string;
  /** Only releases of this name (the store's name-and-version index serves it). */
  readonly name?: string;
}

/** Release storage. */
export interface ReleaseStore {
  /** Adds a release; EW_ERR_RELEASE_EXISTS when its name and version (or id) are taken. */
  insert(record: ReleaseRecord): Promise<void>;
  get(id: string): Promise<ReleaseRecord | undefined>;
  /** Releases in creation order, after the one with id `after` when given, only those named `name` when given. */
  list(options: ReleaseListOptions): Promise<ReleaseRecord[]>;
  /** Changes the rollout groups, records the guard payload's upload, or records the publishing log entry. */
  update(id: string, patch: ReleasePatch): Promise<void>;
}

/** An in-memory {@link ReleaseStore} for tests. */
export class MemoryReleaseStore implements ReleaseStore {
  readonly #records: ReleaseRecord[] = [];

  insert(record: ReleaseRecord): Promise<void> {
    const taken = this.#records.some(
      (r) => r.id === record.id || (r.name === record.name && r.version === record.version),
    );
    if (taken) return Promise.reject(new EdgewardError("EW_ERR_RELEASE_EXISTS", { detail: record.targetName }));
    this.#records.push(record);
    return Promise.resolve();
  }

  get(id: string): Promise<ReleaseRecord | undefined> {
    return Promise.resolve(this.#records.find((r) => r.id === id));
  }

  list(options: ReleaseListOptions): Promise<ReleaseRecord[]> {
    const start = options.after === undefined ? 0 : this.#records.findIndex((r) => r.id === options.after) + 1;
    const named = this.#records.slice(start).filter((r) => options.name === undefined || r.name === options.name);
    return Promise.resolve(named.slice(0, options.limit));
  }

  update(id: string, patch: ReleasePatch): Promise<void> {
    const i = this.#records.findIndex((r) => r.id === id);
    const current = this.#records[i];
    if (current === undefined) return Promise.reject(new EdgewardError("EW_ERR_RELEASE_NOT_FOUND", { detail: id }));
    this.#records[i] = { ...current, ...patch };
    return Promise.resolve();
  }
}
