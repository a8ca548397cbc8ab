/**
 * TPM2_MakeCredential without a TPM (TPM 2.0 Part 1 §24 "Credential Protection", Annex B.10.4 (RSA) and C.6.4
 * (ECC); Part 3 §12.6): a verifier wraps a secret so that only the TPM holding the endorsement key, and only for
 * the attestation key with the given name, can recover it with TPM2_ActivateCredential.
 */
import { constants, createCipheriv, createECDH, createHmac, publicEncrypt, randomBytes } from "node:crypto";
import { EdgewardError } from "../errors/index.ts";
import { hashByAlg, TPM_ALG, TPM_ECC } from "./constants.ts";
import { kdfa, kdfe, labelBytes } from "./kdf.ts";
import { TpmWriter } from "./marshal.ts";
import { eccPointSec1, hasAttributes, publicKeyOf, type TpmPublic } from "./public.ts";

/** The output of MakeCredential. */
export interface Credential {
  /** TPM2B_ID_OBJECT contents: TPM2B_DIGEST integrityHMAC ‖ encIdentity. */
  readonly credentialBlob: Uint8Array;
  /** TPM2B_ENCRYPTED_SECRET contents: the OAEP-wrapped seed (RSA) or the ephemeral TPMS_ECC_POINT (ECC). */
  readonly encryptedSecret: Uint8Array;
  /** The file `tpm2_makecredential -o` writes and `tpm2_activatecredential -i` reads. */
  readonly tpm2ToolsFile: Uint8Array;
}

const ECDH_CURVES: Record<number, string> = {
  [TPM_ECC.NIST_P256]: "prime256v1",
  [TPM_ECC.NIST_P384]: "secp384r1",
  [TPM_ECC.NIST_P521]: "secp521r1",
};

/** tpm2-tools' credential file header: magic 0xBADCC0DE, version 1 (tpm2-tools lib/files.c). */
const FILE_MAGIC = 0xbadcc0de;

/**
 * MakeCredential(ek, akName, secret). `secret` is at most the EK name algorithm's digest size (TPM2B_DIGEST).
 * The EK must be a restricted decryption key with AES-CFB as its symmetric algorithm (every TCG EK template).
 */
export function makeCredential(ek: TpmPublic, akName: Uint8Array, secret: Uint8Array): Credential {
  const hash = hashByAlg(ek.nameAlg);
  if (hash === undefined) throw new EdgewardError("EW_ERR_TPM_CREDENTIAL_KEY", { detail: "EK nameAlg" });
  if (!hasAttributes(ek, "restricted", "decrypt") || hasAttributes(ek, "sign"))
    throw new EdgewardError("EW_ERR_TPM_CREDENTIAL_KEY", { detail: "not a restricted decryption key" });
  if (ek.symmetric.algorithm !== TPM_ALG.AES || ek.symmetric.mode !== TPM_ALG.CFB)
    throw new EdgewardError("EW_ERR_TPM_CREDENTIAL_KEY", { detail: "symmetric algorithm is not AES-CFB" });
  if (secret.length === 0 || secret.length > hash.size)
    throw new EdgewardError("EW_ERR_TPM_CREDENTIAL_KEY", { detail: `secret must be 1-${hash.size} bytes` });
  if (akName.length !== 2 + (hashByAlg(((akName[0] ?? 0) << 8) | (akName[1] ?? 0))?.size ?? -3))
    throw new EdgewardError("EW_ERR_TPM_PARSE", { detail: "AK name is not nameAlg ‖ digest" });

  const { seed, encryptedSecret } =
    ek.type === TPM_ALG.RSA ? rsaSeed(ek, hash.name, hash.size) : eccSeed(ek, hash.name, hash.size);

  // Part 1 §24.4: symKey = KDFa(nameAlg, seed, "STORAGE", name, NULL, symKeyBits); IV is zero for the credential.
  const symKey = kdfa(hash.name, seed, "STORAGE", akName, new Uint8Array(0), ek.symmetric.keyBits);
  const plain = new TpmWriter().tpm2b(secret).finish();
  const cipher = createCipheriv(`aes-${ek.symmetric.keyBits}-cfb`, symKey, new Uint8Array(16));
  const encIdentity = Buffer.concat([cipher.update(plain), cipher.final()]);
  // Part 1 §24.5: HMACkey = KDFa(nameAlg, seed, "INTEGRITY", NULL, NULL, digestBits); outerHMAC over encIdentity ‖ name.
  const hmacKey = kdfa(hash.name, seed, "INTEGRITY", new Uint8Array(0), new Uint8Array(0), hash.size * 8);
  const integrity = createHmac(hash.name, hmacKey).update(encIdentity).update(akName).digest();
  const credentialBlob = new TpmWriter().tpm2b(integrity).bytes(encIdentity).finish();
  const tpm2ToolsFile = new TpmWriter().u32(FILE_MAGIC).u32(1).tpm2b(credentialBlob).tpm2b(encryptedSecret).finish();
  return { credentialBlob, encryptedSecret, tpm2ToolsFile };
}

/** Annex B.10.4: seed encrypted with RSA-OAEP, the EK's name algorithm, label "IDENTITY\0". */
function rsaSeed(ek: TpmPublic, hashName: string, size: number): { seed: Uint8Array; encryptedSecret: Uint8Array } {
  const seed = randomBytes(size);
  const encryptedSecret = publicEncrypt(
    {
      key: publicKeyOf(ek),
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: hashName,
      oaepLabel: labelBytes("IDENTITY"),
    },
    seed,
  );
  return { seed, encryptedSecret };
}

/**
 * Annex C.6.4: an ephemeral key on the EK's curve; Z = x(d_e · Q_EK);
 * seed = KDFe(nameAlg, Z, "IDENTITY", x_ephemeral, x_EK, digestBits); the secret sent is the ephemeral point.
 */
function eccSeed(ek: TpmPublic, hashName: string, size: number): { seed: Uint8Array; encryptedSecret: Uint8Array } {
  const curve = ek.ecc === undefined ? undefined : ECDH_CURVES[ek.ecc.curve];
  if (ek.ecc === undefined || curve === undefined)
    throw new EdgewardError("EW_ERR_TPM_CREDENTIAL_KEY", { detail: "EK is neither RSA nor ECC on a NIST curve" });
  const ephemeral = createECDH(curve);
  ephemeral.generateKeys();
  let z: Uint8Array;
  try {
    z = ephemeral.computeSecret(eccPointSec1(ek));
  } catch (err) {
    throw new EdgewardError("EW_ERR_TPM_PARSE", { detail: "EK point is not on its curve", cause: err });
  }
  const fieldSize = z.length;
  const point = ephemeral.getPublicKey();
  const ex = point.subarray(1, 1 + fieldSize);
  const ey = point.subarray(1 + fieldSize);
  // partyVInfo is the EK x coordinate exactly as its public area holds it (the TPM uses the stored TPM2B).
  const seed = kdfe(hashName, z, "IDENTITY", ex, ek.ecc.x, size * 8);
  const encryptedSecret = new TpmWriter().tpm2b(ex).tpm2b(ey).finish();
  return { seed, encryptedSecret };
}
