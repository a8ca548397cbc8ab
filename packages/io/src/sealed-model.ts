import {
  loadPublicKey,
  openSealedModel,
  type AgeIdentity,
  type OpenedModel,
  type SealedModelCheck,
} from "@edgeward/core";
import { openForRead, readJsonFile, readTextFile } from "./read.ts";

/** Where a publisher's signature is: the key file, the OMS bundle file, and optionally the model name required. */
export interface SignatureFiles {
  /** The publisher's public key (SPKI PEM, NAME.pub from `edgeward sign-keygen`). */
  readonly publicKeyPath: string;
  /** The OMS signature bundle (JSON). */
  readonly sigPath: string;
  /** When given, the signed model name must equal it (EW_ERR_SIG_NAME_MISMATCH). */
  readonly name?: string;
}

/** Reads a publisher key and an OMS bundle (untrusted JSON: EW_ERR_OMS_BUNDLE_MALFORMED when it does not parse). */
export async function loadSignatureCheck(files: SignatureFiles): Promise<SealedModelCheck> {
  const publicKey = loadPublicKey(await readTextFile(files.publicKeyPath, "public key"));
  const bundle = await readJsonFile(files.sigPath, "signature", "EW_ERR_OMS_BUNDLE_MALFORMED");
  return { publicKey, bundle, ...(files.name === undefined ? {} : { name: files.name }) };
}

/**
 * Opens the sealed model at `path` into memory with {@link openSealedModel}: returned only after every chunk
 * authenticated and, when `signature` is given, its OMS signature verified. Key and bundle are read first, so a
 * missing or forged signature fails before any decryption.
 */
export async function openSealedModelFile(
  path: string,
  identities: readonly AgeIdentity[],
  signature?: SignatureFiles,
): Promise<OpenedModel> {
  const check = signature === undefined ? undefined : await loadSignatureCheck(signature);
  const input = await openForRead(path, "sealed file");
  try {
    return await openSealedModel(input, identities, check === undefined ? {} : { check });
  } finally {
    await input.close();
  }
}
