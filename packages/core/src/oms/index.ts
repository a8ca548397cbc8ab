// OpenSSF Model Signing v1.0 for single-file models: sign, verify, keys (github.com/ossf/model-signing-spec v1.0).
export { serializeBundle, type OmsBundle } from "./bundle.ts";
export { DEFAULT_SHARD_SIZE, OMS_PREDICATE_TYPE } from "./constants.ts";
export { generateSigningKey, loadPrivateKey, loadPublicKey, publicKeyHint, type SigningKeyPair } from "./keys.ts";
export { signModel, signShardDigests, type SignModelOptions, type SignShardDigestsOptions } from "./sign.ts";
export type { OmsResource } from "./statement.ts";
export {
  bundleShardSize,
  checkSignedModel,
  verifyModel,
  verifySignature,
  type ModelVerification,
  type VerifiedSignature,
  type VerifyModelOptions,
} from "./verify.ts";
