/**
 * What a sealed file says about itself, without decrypting anything (`edgeward inspect`): the header's
 * recipient types and their non-secret arguments, and the sizes the payload layout implies
 * (c2sp.org/age §Header, §Payload). Never touches a key.
 */
import type { FileHandle } from "node:fs/promises";
import { ARMOR_PROBE, dearmor, dearmorBytes, looksArmored } from "./armor.ts";
import { parseHeader, type HeaderLimits } from "./header.ts";
import { readHeaderFromHandle, readHeaderFromStream } from "./header-reader.ts";
import { HYBRID_STANZA } from "./hybrid.ts";
import { P256TAG_STANZA } from "./p256tag.ts";
import { handleChunks, readPrefix } from "./source.ts";
import { chunkCount, plaintextSize } from "./stream/format.ts";
import type { Stanza } from "./types.ts";
import { X25519_STANZA } from "./x25519.ts";

/** One recipient stanza as {@link inspect} reports it. */
export interface InspectedRecipient {
  /** The stanza type (`X25519`, `mlkem768x25519`, `p256tag`, `scrypt`, or another implementation's). */
  readonly type: string;
  /** A human label for the type. */
  readonly label: string;
  /** For `p256tag`: the base64 recipient tag, which lets a device tell the stanza is for it. */
  readonly tag?: string;
  /** For `scrypt`: the base-two logarithm of the work factor. */
  readonly workFactor?: string;
}

/** What {@link inspect} reports. */
export interface AgeInspection {
  readonly version: "v1";
  readonly recipients: readonly InspectedRecipient[];
  /** Bytes of the (binary) header, through the MAC line. */
  readonly headerSize: number;
  /** Bytes of the payload: 16-byte nonce, chunks and tags. */
  readonly payloadSize: number;
  /** Bytes of plaintext the payload holds if it authenticates. */
  readonly plaintextSize: number;
  /** STREAM chunks of 64 KiB. */
  readonly chunkCount: number;
  /** True when the input was ASCII-armored (sizes are of the binary file inside). */
  readonly armored: boolean;
}

const LABELS: Record<string, string> = {
  [X25519_STANZA]: "X25519",
  [HYBRID_STANZA]: "ML-KEM-768 + X25519 (post-quantum)",
  [P256TAG_STANZA]: "P-256 tag (hardware key)",
  scrypt: "passphrase (scrypt)",
};

/**
 * Describes an age file. Throws the header's EW_ERR_AGE_HEADER_* codes, EW_ERR_AGE_ARMOR, and, when no valid
 * payload has the payload's size, the EW_ERR_AGE_PAYLOAD_* code a decryption would end with.
 */
export async function inspect(input: FileHandle | Uint8Array, limits?: HeaderLimits): Promise<AgeInspection> {
  if (input instanceof Uint8Array) {
    const armored = looksArmored(input.subarray(0, ARMOR_PROBE)) === true;
    const binary = armored ? dearmorBytes(input) : input;
    const header = parseHeader(binary, limits);
    return describe(header.stanzas, header.payloadOffset, binary.length - header.payloadOffset, armored);
  }
  if (looksArmored(await readPrefix(input, ARMOR_PROBE)) === true) {
    const { header, payload } = await readHeaderFromStream(dearmor(handleChunks(input)), limits);
    let payloadSize = 0;
    for await (const piece of payload) payloadSize += piece.length;
    return describe(header.stanzas, header.payloadOffset, payloadSize, true);
  }
  const header = await readHeaderFromHandle(input, limits);
  const size = (await input.stat()).size;
  return describe(header.stanzas, header.payloadOffset, size - header.payloadOffset, false);
}

function describe(
  stanzas: readonly Stanza[],
  headerSize: number,
  payloadSize: number,
  armored: boolean,
): AgeInspection {
  const plaintext = plaintextSize(payloadSize);
  return {
    version: "v1",
    recipients: stanzas.map(describeStanza),
    headerSize,
    payloadSize,
    plaintextSize: plaintext,
    chunkCount: chunkCount(plaintext),
    armored,
  };
}

function describeStanza(stanza: Stanza): InspectedRecipient {
  const label = LABELS[stanza.type] ?? "unknown (another implementation or a plugin)";
  if (stanza.type === P256TAG_STANZA && stanza.args[0] !== undefined)
    return { type: stanza.type, label, tag: stanza.args[0] };
  if (stanza.type === "scrypt" && stanza.args[1] !== undefined)
    return { type: stanza.type, label, workFactor: stanza.args[1] };
  return { type: stanza.type, label };
}
