// Releases: upload, TUF publication, rollout, and the per-device re-wrap of a release's file key.
export {
  GUARD_TARGET_SUFFIX,
  MANIFEST_SCHEMA,
  MAX_MANIFEST_PART,
  parseGroups,
  parseManifest,
  type ReleaseGuardManifest,
  type ReleaseKind,
  type ReleaseManifest,
} from "./manifest.ts";
export { checkEscrowHeader, rewrapForDevice } from "./rewrap.ts";
export { DatabaseReleaseStore } from "./database-store.ts";
export {
  MemoryReleaseStore,
  type ReleaseGuard,
  type ReleasePatch,
  type ReleaseRecord,
  type ReleaseListOptions,
  type ReleaseStore,
} from "./store.ts";
export {
  guardTargetOf,
  ReleasesService,
  targetOf,
  type ReleaseBlobs,
  type ReleaseFacts,
  type ReleaseLog,
  type ReleasesDeps,
} from "./service.ts";
export { resolveRange, type ByteRange } from "./range.ts";
export { ReleaseFeed, type FeedTimer, type FeedWait, type ReleaseFeedOptions } from "./release-feed.ts";
export { bumpReleaseMarker, databaseReleaseMarker, RELEASE_MARKER_KEY, type ReleaseMarker } from "./release-marker.ts";
export { openReleases, type OpenReleasesOptions } from "./open.ts";
export { checkReleaseBundle, type BundleVerdict, type SignedRelease } from "./oms-check.ts";
export { publishRelease, type PublishOptions } from "./publisher.ts";
