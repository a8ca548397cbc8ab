// The hub's TUF repository (TUF 1.0): releases published as targets in hash bins under offline root and targets.
export { MemoryTufStore, type TufFile, type TufMetadataStore } from "./store.ts";
export { exportTufSigner, generateTufSigner, importTufSigner, tufPublicKey, type TufSigner } from "./keys.ts";
export {
  BIN_PREFIX,
  DEFAULT_TUF_POLICY,
  isClientMetadataName,
  SPEC_VERSION,
  type TufPolicy,
  type TufRoleKind,
} from "./layout.ts";
export { initTufRepository, type InitTufOptions, type OfflineSigners, type OnlineSigners } from "./init.ts";
export { TufRepository, type TufRepositoryOptions } from "./repository.ts";
export { buildTargetFile, MAX_TARGET_LENGTH, type TargetInput } from "./target.ts";
export { rotateRoot, type RootChanges, type RotateRootOptions } from "./rotate.ts";
export { resignTopLevelTargets, type ResignTargetsOptions } from "./offline.ts";
