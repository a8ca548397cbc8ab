/**
 * Re-wrapping: a new header for other recipients over the same file key, so the payload (nonce and chunks)
 * stays byte for byte the same (ARCHITECTURE.md, flow 4: encrypt once, re-wrap per device). The header MAC is
 * recomputed; the payload's key derives from the file key and its nonce only (c2sp.org/age §Payload), so the
 * new header followed by the old payload is a valid age file for the new recipients.
 */
import type { FileHandle } from "node:fs/promises";
import { EdgewardError } from "../errors/index.ts";
import { dearmor } from "./armor.ts";
import { parseHeader, serializeHeader, type AgeHeader, type HeaderLimits } from "./header.ts";
import { peekArmor, readHeaderFromStream } from "./header-reader.ts";
import { wrapToAll } from "./seal.ts";
import { handleChunks, writeAllAt, type ByteSource } from "./source.ts";
import type { AgeIdentity, AgeRecipient } from "./types.ts";
import { unwrapHeader } from "./unwrap.ts";

/**
 * Returns new header bytes that wrap the file key of `header` to `recipients`. `header` is a parsed header or
 * bytes that start with one. The old header must unwrap with one of `identities` and its MAC must verify
 * (EW_ERR_AGE_NO_IDENTITY, EW_ERR_AGE_HEADER_MAC otherwise). The payload is not read or authenticated here.
 */
export async function rewrap(
  header: AgeHeader | Uint8Array,
  identities: readonly AgeIdentity[],
  recipients: readonly AgeRecipient[],
  limits?: HeaderLimits,
): Promise<Uint8Array> {
  const parsed = header instanceof Uint8Array ? parseHeader(header, limits) : header;
  const fileKey = await unwrapHeader(parsed, identities);
  try {
    return serializeHeader(fileKey, await wrapToAll(fileKey, recipients));
  } finally {
    fileKey.fill(0);
  }
}

/**
 * Re-wraps a whole age file stream: yields the new header, then the original payload unchanged. Armored input
 * is dearmored; the output is always binary.
 */
export async function* rewrapStream(
  source: ByteSource,
  identities: readonly AgeIdentity[],
  recipients: readonly AgeRecipient[],
  limits?: HeaderLimits,
): AsyncGenerator<Uint8Array, void, undefined> {
  const peeked = await peekArmor(source);
  const binary = peeked.armored ? dearmor(peeked.source) : peeked.source;
  const { header, payload } = await readHeaderFromStream(binary, limits);
  let newHeader: Uint8Array;
  try {
    newHeader = await rewrap(header, identities, recipients);
  } catch (err) {
    await payload.return();
    throw err;
  }
  yield newHeader;
  yield* payload;
}

/**
 * Re-wraps the age file `input` into `output` (written at its current end): the new header, then the original
 * payload copied unchanged. Returns the new header's size and the payload's size.
 */
export async function rewrapFile(
  input: FileHandle,
  output: FileHandle,
  identities: readonly AgeIdentity[],
  recipients: readonly AgeRecipient[],
): Promise<{ headerSize: number; payloadSize: number }> {
  let position: number;
  try {
    position = (await output.stat()).size;
  } catch (err) {
    throw new EdgewardError("EW_ERR_IO", { detail: "the output", cause: err });
  }
  let headerSize = -1;
  let written = 0;
  for await (const piece of rewrapStream(handleChunks(input), identities, recipients)) {
    if (headerSize < 0) headerSize = piece.length;
    await writeAllAt(output, piece, position + written, "writing the re-wrapped file");
    written += piece.length;
  }
  return { headerSize, payloadSize: written - headerSize };
}
