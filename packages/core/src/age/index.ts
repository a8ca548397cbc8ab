// age v1 (c2sp.org/age): header, recipients, identities, armor, and seal/open/rewrap/inspect on top of the
// payload STREAM engine in ./stream. @edgeward/core's index re-exports these names.
export type { AgeIdentity, AgeRecipient, P256KeyAgreement, Stanza } from "./types.ts";
export { parseRecipient, parseRecipientsFile } from "./recipients.ts";
export { generateIdentity, parseIdentities, type IdentityType } from "./identities.ts";
export type { SoftwareAgeIdentity } from "./x25519.ts";
export { MAX_TAGGED_ATTEMPTS, createP256TagIdentity, p256TagRecipient } from "./p256tag.ts";
export { createSoftwareP256KeyAgreement } from "./p256-software.ts";
export {
  DEFAULT_HEADER_LIMITS,
  parseHeader,
  serializeHeader,
  tryParseHeader,
  verifyHeaderMac,
  type AgeHeader,
  type HeaderLimits,
} from "./header.ts";
export { readHeaderFromHandle, readHeaderFromStream, type StreamHeader } from "./header-reader.ts";
export { unwrapHeader } from "./unwrap.ts";
export { ARMOR_BEGIN, ARMOR_END, armorBytes, dearmor, dearmorBytes, looksArmored } from "./armor.ts";
export { createHeader, sealFile, sealStream, type SealFileOptions, type SealFileResult } from "./seal.ts";
export {
  sealFileWithSecondPayload,
  type SealSecondPayloadOptions,
  type SealSecondPayloadResult,
} from "./seal-second-payload.ts";
export {
  openStream,
  openToFile,
  openToMemory,
  type OpenOptions,
  type OpenToFileOptions,
  type OpenToMemoryOptions,
} from "./open.ts";
export { openDetachedToMemory, type DetachedPayload, type OpenedPayload } from "./open-detached.ts";
export { rewrap, rewrapFile, rewrapStream } from "./rewrap.ts";
export { inspect, type AgeInspection, type InspectedRecipient } from "./inspect.ts";
export type { ByteSource } from "./source.ts";
