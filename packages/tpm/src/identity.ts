/**
 * The TPM as an age identity (c2sp.org/age §p256tag; ARCHITECTURE.md promise 1): the P-256 private key stays in the
 * TPM and does one TPM2_ECDH_ZGen per file under its PCR policy; the age code does the rest.
 */
import { readFile } from "node:fs/promises";
import {
  createP256TagIdentity,
  EdgewardError,
  formatPcrSelection,
  p256TagRecipient,
  type AgeIdentity,
  type P256KeyAgreement,
  type PcrSelection,
  type PcrValues,
} from "@edgeward/core";
import { DEFAULT_POLICY_PCRS, type TpmDevice, type WrappedObject } from "./device.ts";
import { formatKeyFile, parseKeyFile } from "./key-file.ts";
import { checkKeyPolicyPcrs, type KeyPolicyAllowances } from "./pcr-policy.ts";
import { openTpmDevice, type OpenTpmOptions } from "./open.ts";
import { wrappedPublicPoint } from "./tools/driver.ts";

/** A wrapped decryption key behind the P256KeyAgreement interface the age identity uses. */
export function tpmKeyAgreement(device: TpmDevice, key: WrappedObject): P256KeyAgreement {
  const publicKey = wrappedPublicPoint(key);
  const pcrs = formatPcrSelection(key.pcrs);
  return {
    publicKey,
    hardwareBacked: device.hardwareBacked && key.kind === "tpm2",
    description:
      key.kind === "tpm2"
        ? `TPM P-256 key (PCRs ${pcrs})`
        : `software keystore P-256 key, NOT hardware-backed (PCRs ${pcrs})`,
    deriveSharedSecret: (peer) => device.deriveSharedSecret(key, peer),
  };
}

/** What {@link createTpmDecryptionKey} returns. */
export interface CreatedDecryptionKey {
  /** The key file's text (write it with mode 0600; it is useless on any other device). */
  readonly keyFile: string;
  /** The `age1tag1…` recipient to seal models to. */
  readonly recipient: string;
  readonly key: WrappedObject;
}

/**
 * Creates the device's decryption key under a PCR policy (default PCRs 7 and 14, their current values). A policy
 * on a PCR software can reset, or on the SHA-1 bank, is refused unless `allow` names it (see checkKeyPolicyPcrs).
 */
export async function createTpmDecryptionKey(
  device: TpmDevice,
  options: { readonly pcrs?: PcrSelection; readonly expected?: PcrValues; readonly allow?: KeyPolicyAllowances } = {},
): Promise<CreatedDecryptionKey> {
  const pcrs = options.pcrs ?? DEFAULT_POLICY_PCRS;
  checkKeyPolicyPcrs(pcrs, options.allow);
  const key = await device.createDecryptionKey(pcrs, options.expected);
  const recipient = p256TagRecipient(wrappedPublicPoint(key));
  return { keyFile: formatKeyFile(key, recipient), recipient, key };
}

/** Options for {@link loadTpmIdentity}: the device to use, or how to open one. */
export interface LoadTpmIdentityOptions extends OpenTpmOptions {
  readonly device?: TpmDevice;
}

/**
 * Reads a key file and returns the age identity that unwraps through the TPM (or, for a software key file, the
 * software keystore, reporting hardwareBacked false). Opening then fails with EW_ERR_TPM_POLICY after a PCR change
 * and EW_ERR_TPM_FOREIGN_KEY on another device.
 */
export async function loadTpmIdentity(keyFilePath: string, options: LoadTpmIdentityOptions = {}): Promise<AgeIdentity> {
  let text: string;
  try {
    text = await readFile(keyFilePath, "utf8");
  } catch (err) {
    throw new EdgewardError("EW_ERR_IO", { detail: keyFilePath, cause: err });
  }
  return tpmIdentityFromText(text, options);
}

/** {@link loadTpmIdentity} from the file's text. */
export function tpmIdentityFromText(text: string, options: LoadTpmIdentityOptions = {}): AgeIdentity {
  const key = parseKeyFile(text);
  const device =
    options.device ?? openTpmDevice(key.kind === "software" ? { ...options, software: true } : { ...options });
  if (key.kind === "tpm2" && device.kind !== "tpm2-tools")
    throw new EdgewardError("EW_ERR_TPM_UNAVAILABLE", { detail: "this key file needs the TPM that made it" });
  return createP256TagIdentity(tpmKeyAgreement(device, key));
}
