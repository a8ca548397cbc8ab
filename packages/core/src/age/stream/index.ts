// The age v1 payload STREAM engine on node:crypto (c2sp.org/age §Payload, c2sp.org/agead): sizes and keys,
// streaming encryption and decryption, and file fast paths that use every core (the calling thread and pooled
// worker threads).
export {
  CHUNK_SIZE,
  PAYLOAD_NONCE_SIZE,
  TAG_SIZE,
  ENCRYPTED_CHUNK_SIZE,
  payloadKey,
  chunkCount,
  ciphertextSize,
  plaintextSize,
} from "./format.ts";
export { encryptPayload, decryptPayload, type EncryptPayloadOptions } from "./stream.ts";
export { encryptFileToFile, type EncryptFileOptions, type EncryptFileResult } from "./file-encrypt.ts";
export {
  decryptFileToMemory,
  decryptFileToHandle,
  digestFilePayload,
  type DecryptFileOptions,
  type DecryptToMemoryOptions,
  type DecryptToMemoryResult,
  type DecryptToHandleOptions,
} from "./file-decrypt.ts";
export type { ProgressCallback } from "./file-common.ts";
export { shutdownPayloadWorkers, payloadWorkerCount } from "./pool.ts";
