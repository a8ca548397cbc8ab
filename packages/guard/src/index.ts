// @edgeward/guard: the inference guard and its calibration (ARCHITECTURE.md, promise 8; docs/guard.md).
export {
  calibrate,
  DEFAULT_QUERY_STAGE,
  DEFAULT_SQUEEZERS,
  falsePositiveRate,
  type CalibrateOptions,
} from "./calibration/calibrate.ts";
export {
  GUARD_BUNDLE_FILE,
  GUARD_BUNDLE_LIMITS,
  GUARD_BUNDLE_MAGIC,
  GUARD_BUNDLE_VERSION,
  isGuardBundleName,
  packGuardBundle,
  unpackGuardBundle,
} from "./bundle/guard-bundle.ts";
export { buildGuardBundle, type BuildGuardBundleOptions, type BuiltGuardBundle } from "./bundle/build-guard-bundle.ts";
export { calibrateFiles, type CalibratedGuard, type CalibrateFilesOptions } from "./calibration/calibrate-files.ts";
export { quantile } from "./calibration/quantile.ts";
export {
  GUARD_FILE_MAX_BYTES,
  guardDigest,
  loadGuardFile,
  serializeGuardFile,
  type LoadGuardOptions,
} from "./config/guard-file.ts";
export { GUARD_SCHEMA } from "./config/schema.ts";
export type {
  ConfidenceStage,
  EnsembleStage,
  GuardConfig,
  InputContract,
  ModelRef,
  QueryStage,
  SqueezeStage,
  StageAction,
  StatsStage,
} from "./config/types.ts";
export { imagesFromBytes, withPixels, type GuardImage } from "./data/image.ts";
export { IDX_MAX_BYTES, parseIdx, type IdxArray } from "./data/idx.ts";
export { loadCalibrationData, type LoadedData } from "./data/load-data.ts";
export {
  createGuard,
  type CheckResult,
  type Guard,
  type GuardInput,
  type GuardModels,
  type GuardOptions,
} from "./guard.ts";
export { loadGuard, type LoadedGuard } from "./load-guard.ts";
export { enabledStages, loadGuardFromBundle, type BundleLoadOptions } from "./load-guard-memory.ts";
export { loadGuardModel, loadGuardModelFile, type GuardModel, type ModelInput } from "./models.ts";
export { ReviewQueue, type ReviewQueueOptions, type SealedEntry } from "./review-queue.ts";
export { decide, evaluateStages, type Decision, type Reason, type StageName } from "./stages/decision.ts";
export { imageStats, type StatsFeatures } from "./stages/image-stats.ts";
export { checkTensor, decodeImage } from "./stages/input-contract.ts";
export { fingerprint, QueryDetector, type QueryVerdict } from "./stages/query-detector.ts";
export { argmax, energy, l1, maxSoftmax, softmax } from "./stages/scores.ts";
export { scoreImages, type ImageScores, type ScoreSetup } from "./stages/score-images.ts";
export { medianSmooth, reduceBitDepth, squeeze, type Squeezer } from "./stages/squeeze.ts";
export { DEFAULT_LEVEL_WEIGHTS } from "./calibration/calibrate.ts";
export type { MahalanobisStage } from "./config/types.ts";
export { fitLogitGaussian, mahalanobisScore, type LogitGaussian } from "./stages/mahalanobis.ts";
export { logitFeatures } from "./stages/score-images.ts";
