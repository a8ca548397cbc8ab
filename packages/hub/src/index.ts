// @edgeward/hub: the control plane (ARCHITECTURE.md, "Components and packages"; flows 2-4, 7).

// The app and what it is built from.
export { DEFAULT_BODY_LIMIT, buildApp, type BuildOptions } from "./app.ts";
export {
  systemClock,
  type Clock,
  type DeviceAuthenticator,
  type DeviceIdentity,
  type HubDeps,
  type HubFacts,
  type HubLimits,
} from "./deps.ts";
export { FEATURES, type Feature } from "./plugins.ts";
export { AUTH, type RouteAuth, type RouteInfo } from "./http/route-auth.ts";
export type { AuditNote, OperatorIdentity } from "./http/fastify-types.ts";
export { ERROR_SCHEMA, toEdgewardError } from "./http/error-handler.ts";
export { refuseDevices } from "./http/device-auth.ts";
export {
  DEFAULT_OVERLOAD_LIMITS,
  installOverloadShed,
  overloadReason,
  type OverloadLimits,
  type PressureSource,
} from "./http/overload.ts";
export { processPressure } from "./http/pressure.ts";
export { REDACTED_FIELDS, createHubLogger } from "./logger.ts";

// Storage.
export { HubStore, type HubStoreLocation } from "./store/hub-store.ts";
export { relaxedDurability, type GroupCommitOptions } from "./store/group-commit.ts";
export type { HubDatabase } from "./store/schema.ts";
export {
  ROLES,
  createToken,
  findToken,
  hashToken,
  isRole,
  listTokens,
  newSecret,
  revokeToken,
} from "./store/tokens.ts";
export type { NewToken, Role, TokenRow } from "./store/tokens.ts";
export {
  insertEnrolToken,
  issueNonce,
  purgeNonces,
  spendEnrolToken,
  spendNonce,
  type EnrolTokenRow,
  type NonceRow,
  type SpendResult,
} from "./store/single-use.ts";
export {
  DEVICE_STATES,
  getDevice,
  insertDevice,
  listDevices,
  updateDevice,
  type DevicePatch,
  type DeviceRow,
  type DeviceState,
} from "./store/devices.ts";
export { createGroup, getGroup, listGroups, setGroupPolicy, type GroupRow } from "./store/groups.ts";
export { DEFAULT_POLICY, POLICY_SCHEMA, completePolicy, parseStoredPolicy, type Policy } from "./groups/policy.ts";

// Blobs and the audit log.
export { BlobStore, type BlobInfo } from "./blobs/blob-store.ts";
export { HubAuditLog } from "./audit/hub-log.ts";

// The hub directory: init, open, serve.
export { initHub, type InitHubOptions, type InitHubResult } from "./hubdir/init.ts";
export { openHub, type OpenHubOptions, type OpenedHub } from "./hubdir/open.ts";
export { hubPaths, readHubConfig, type HubConfig, type HubPaths } from "./hubdir/layout.ts";
export { writeFileAtomic } from "./hubdir/files.ts";
export { addPublisherKey, readPublisherKeys, trustPublisher, type PublisherKey } from "./hubdir/publishers.ts";
export {
  hubTufStatus,
  resignHubTargets,
  rotateHubRoot,
  type HubTufStatus,
  type OnlineRootRole,
  type ResignHubTargetsOptions,
  type RotateHubRootOptions,
  type TufRoleStatus,
} from "./hubdir/tuf-admin.ts";
export { issueServerCertificate } from "./hubdir/server-cert.ts";
export { parseListen, serveHub, type ServingHub } from "./bin.ts";
export { DatabaseTufStore } from "./store/tuf-files.ts";
export { LOCK_KEYS, processLock, writerLock, type WriterLock } from "./store/writer-lock.ts";
export { HubClient, type HubClientOptions } from "./client/hub-client.ts";

// Releases: the TUF repository (TUF 1.0) and the releases service, and the publisher's side of a release.
export {
  DEFAULT_TUF_POLICY,
  MemoryTufStore,
  TufRepository,
  generateTufSigner,
  importTufSigner,
  initTufRepository,
  rotateRoot,
  type OfflineSigners,
  type OnlineSigners,
  type TufMetadataStore,
  type TufPolicy,
  type TufSigner,
} from "./tuf/index.ts";
export {
  DatabaseReleaseStore,
  MemoryReleaseStore,
  ReleaseFeed,
  ReleasesService,
  databaseReleaseMarker,
  openReleases,
  publishRelease,
  type PublishOptions,
  type ReleaseFacts,
  type ReleaseFeedOptions,
  type ReleaseRecord,
  type ReleaseStore,
} from "./releases/index.ts";
export {
  DEFAULT_REVIEW_LIMITS,
  ReviewStore,
  deleteReviewEntry,
  isAgeFile,
  listReviewEntries,
  parseReviewLimits,
  reviewEntry,
  reviewPlugin,
  reviewUsage,
  type ReviewLimits,
} from "./review/index.ts";
