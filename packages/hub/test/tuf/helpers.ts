/**
 * Test helpers: a repository on the in-memory store, and a real tuf-js client (the device's library) that reaches
 * it through a fetcher subclassing tuf-js's BaseFetcher, with nothing but the initial root on disk.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BaseFetcher, Updater } from "tuf-js";
import { DownloadHTTPError } from "tuf-js/dist/error.js";
import { isEdgewardError } from "@edgeward/core";
import { rejectsWithCode } from "@edgeward/testkit";
import {
  DEFAULT_TUF_POLICY,
  generateTufSigner,
  initTufRepository,
  MemoryTufStore,
  TufRepository,
  type OfflineSigners,
  type OnlineSigners,
  type TufPolicy,
} from "../../src/tuf/index.ts";

/** The base URLs the test client is configured with. */
export const METADATA_URL = "https://hub.test/v1/device/tuf/";
export const TARGETS_URL = "https://hub.test/v1/device/targets/";

/** A fresh repository with its keys and a movable clock. */
export interface TestRepository {
  readonly store: MemoryTufStore;
  readonly offline: OfflineSigners;
  readonly online: OnlineSigners;
  readonly policy: TufPolicy;
  readonly clock: { now: Date };
  repo: TufRepository;
  /** Ciphertexts by sha256, for the fetcher's target downloads. */
  readonly blobs: Map<string, Uint8Array>;
}

/** Creates and opens a repository; `binBits` small keeps tests quick. */
export async function makeRepository(
  options: { binBits?: number; rootKeys?: number; rootThreshold?: number; now?: Date } = {},
): Promise<TestRepository> {
  const policy: TufPolicy = {
    ...DEFAULT_TUF_POLICY,
    binBits: options.binBits ?? 4,
    rootThreshold: options.rootThreshold ?? 1,
  };
  const store = new MemoryTufStore();
  const offline: OfflineSigners = {
    root: Array.from({ length: options.rootKeys ?? 1 }, generateTufSigner),
    targets: [generateTufSigner()],
  };
  const online: OnlineSigners = {
    snapshot: generateTufSigner(),
    timestamp: generateTufSigner(),
    releases: generateTufSigner(),
  };
  const clock = { now: options.now ?? new Date() };
  await initTufRepository({ store, offline, online, now: clock.now, policy });
  const repo = await TufRepository.open({ store, online, clock: () => clock.now, policy });
  return { store, offline, online, policy, clock, repo, blobs: new Map() };
}

/**
 * After an offline key change named new online keys: reopening with the old ones is refused, the new ones open
 * the repository and re-sign every online role at once.
 */
export async function switchOnlineKeys(t: TestRepository, online: OnlineSigners): Promise<void> {
  const options = { store: t.store, clock: () => t.clock.now, policy: t.policy };
  await rejectsWithCode(TufRepository.open({ ...options, online: t.online }), "EW_ERR_TUF_SIGNER_MISMATCH");
  t.repo = await TufRepository.open({ ...options, online });
  assert.equal(await t.repo.refresh(true), true);
}

/** Publishes `bytes` at `path` with `custom`, keeping the bytes for downloads. */
export async function publishBytes(
  t: RepositoryView,
  path: string,
  bytes: Uint8Array,
  custom: Record<string, unknown> = {},
): Promise<string> {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  t.blobs.set(sha256, bytes);
  await t.repo.publish([{ path, length: bytes.length, sha256, custom }]);
  return sha256;
}

/** What a client reaches: the repository's metadata and the target bytes (a TestRepository, or a hub's own). */
export type RepositoryView = Pick<TestRepository, "repo" | "blobs">;

/**
 * A tuf-js fetcher over the repository object. `override` lets a test play a malicious mirror: it sees each
 * metadata name and may return other bytes. `fetched` counts the bytes handed to the client.
 */
export class RepositoryFetcher extends BaseFetcher {
  fetched = 0;
  override?: (name: string) => Uint8Array | undefined;

  readonly #t: RepositoryView;

  constructor(t: RepositoryView) {
    super();
    this.#t = t;
  }

  override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
    const bytes = await this.#bytes(url);
    this.fetched += bytes.length;
    return new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array(bytes));
        controller.close();
      },
    });
  }

  async #bytes(url: string): Promise<Uint8Array> {
    if (url.startsWith(METADATA_URL)) {
      const name = decodeURIComponent(url.slice(METADATA_URL.length));
      const replaced = this.override?.(name);
      if (replaced !== undefined) return replaced;
      try {
        return await this.#t.repo.metadata(name);
      } catch (err) {
        if (isEdgewardError(err, "EW_ERR_TUF_METADATA_NOT_FOUND")) throw new DownloadHTTPError("not found", 404);
        throw err;
      }
    }
    // Consistent snapshots: targets are fetched as DIR/SHA256.BASENAME (TUF 1.0 §5.7.3).
    const base = url.slice(TARGETS_URL.length).split("/").at(-1) ?? "";
    const blob = this.#t.blobs.get(base.slice(0, 64));
    if (blob === undefined) throw new DownloadHTTPError("not found", 404);
    return blob;
  }
}

/** A tuf-js Updater whose metadata directory holds only `root` (the initial root, "1.root.json"). */
export async function makeClient(
  t: RepositoryView,
  dir: string,
  root?: Uint8Array,
): Promise<{ updater: Updater; fetcher: RepositoryFetcher; targetDir: string }> {
  const metadataDir = join(dir, "metadata");
  const targetDir = join(dir, "targets");
  await mkdir(metadataDir, { recursive: true });
  await mkdir(targetDir, { recursive: true });
  await writeFile(join(metadataDir, "root.json"), root ?? (await t.repo.metadata("1.root.json")));
  const fetcher = new RepositoryFetcher(t);
  const updater = new Updater({
    metadataDir,
    metadataBaseUrl: METADATA_URL,
    targetDir,
    targetBaseUrl: TARGETS_URL,
    fetcher,
  });
  return { updater, fetcher, targetDir };
}
