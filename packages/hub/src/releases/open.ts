/**
 * Opening the releases side of a hub directory for `serve`: the online TUF keys and the escrow identity from their
 * key files, the TUF repository and the release records in the hub's database, the blob store and the audit log the
 * app already holds. The offline keys (root, top-level targets) are not read: `serve` never needs them.
 */
import { parseIdentities } from "@edgeward/core";
import type { HubStore } from "../store/hub-store.ts";
import { DatabaseTufStore } from "../store/tuf-files.ts";
import { importTufSigner, TufRepository, type TufPolicy } from "../tuf/index.ts";
import { DatabaseReleaseStore } from "./database-store.ts";
import { checkReleaseBundle } from "./oms-check.ts";
import { ReleasesService, type ReleaseBlobs, type ReleaseLog } from "./service.ts";

/** What {@link openReleases} needs. */
export interface OpenReleasesOptions {
  readonly store: HubStore;
  readonly blobs: ReleaseBlobs;
  readonly log: ReleaseLog;
  readonly clock: () => Date;
  /** Reads a secret file of the hub directory (0600), e.g. hubdir's `readHubFile`. */
  readonly readFile: (path: string) => Promise<string>;
  /** The key file paths (hubdir's `hubPaths`). */
  readonly paths: {
    readonly tufSnapshot: string;
    readonly tufTimestamp: string;
    readonly tufReleases: string;
    readonly escrowIdentity: string;
  };
  readonly policy?: TufPolicy;
  /** The publisher keys (SPKI PEM) the hub trusts, read for each new release (oms-check.ts). */
  readonly publisherKeys: () => Promise<readonly string[]>;
}

/**
 * The releases service of an initialised hub. EW_ERR_TUF_KEY for a damaged key file, EW_ERR_TUF_SIGNER_MISMATCH when
 * the online keys are not the ones the repository names (a root rotation the hub was not restarted for).
 */
export async function openReleases(options: OpenReleasesOptions): Promise<ReleasesService> {
  const { paths, readFile } = options;
  const [snapshot, timestamp, releases, escrowText] = await Promise.all(
    [paths.tufSnapshot, paths.tufTimestamp, paths.tufReleases, paths.escrowIdentity].map(readFile),
  );
  const tuf = await TufRepository.open({
    store: new DatabaseTufStore(options.store),
    online: {
      snapshot: importTufSigner(snapshot ?? ""),
      timestamp: importTufSigner(timestamp ?? ""),
      releases: importTufSigner(releases ?? ""),
    },
    clock: options.clock,
    ...(options.policy === undefined ? {} : { policy: options.policy }),
  });
  return new ReleasesService({
    tuf,
    store: new DatabaseReleaseStore(options.store.db),
    blobs: options.blobs,
    log: options.log,
    escrow: parseIdentities(escrowText ?? ""),
    clock: options.clock,
    checkBundle: async (release) => checkReleaseBundle(release, await options.publisherKeys()),
  });
}
