import { EXIT, type ErrorSpec } from "../spec.ts";

/**
 * Error codes of the TPM and attestation area (TPM 2.0 Library Part 2, TCG EK Credential Profile). Each code is
 * documented in docs/errors.md (generated: npm run docs:errors). `EW_ERR_TPM_*` are the device and its structures;
 * `EW_ERR_QUOTE_*` are the checks a verifier makes on a quote, one code per check so a caller can tell them apart.
 */
export const TPM_ERRORS = {
  // Parsing TPM 2.0 structures (TPM 2.0 Part 2): every malformed input fails closed with one of these.
  EW_ERR_TPM_PARSE: {
    message: "A TPM structure is malformed or truncated; the evidence cannot be used",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_TPM_UNSUPPORTED_ALG: {
    message:
      "The TPM structure uses an algorithm or scheme Edgeward does not accept (use ECC P-256/P-384 or RSA 2048+)",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_TPM_NOT_GENERATED: {
    message: "The attestation does not start with TPM_GENERATED_VALUE, so a TPM did not produce it",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_TPM_ATTEST_TYPE: {
    message: "The attestation is of the wrong type for this check (a quote was expected, or a certify)",
    exit: EXIT.format,
    http: 422,
  },
  EW_ERR_TPM_PCR_SELECTION: {
    message: "The PCR selection is invalid; give PCR indices 0-23 such as 7,16, optionally with a bank (sha256:7,16)",
    exit: EXIT.usage,
    http: 400,
  },
  EW_ERR_TPM_PCR_VALUES: {
    message: "The PCR values file is malformed; pass the file tpm2_quote -o or tpm2_pcrread -o wrote, or JSON",
    exit: EXIT.format,
    http: 400,
  },

  // Quote verification (TPM 2.0 Part 3 §18.4 TPM2_Quote): one code per check.
  EW_ERR_QUOTE_SIGNATURE: {
    message:
      "The quote's signature does not verify with the attestation key; the quote was altered or signed by another key",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_QUOTE_NONCE: {
    message:
      "The quote's nonce (extraData) is not the one this verifier issued; it is a replay or answers another challenge",
    exit: EXIT.policy,
    http: 422,
  },
  EW_ERR_QUOTE_PCR_DIGEST: {
    message: "The supplied PCR values do not hash to the digest the TPM signed; send the values read with the quote",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_QUOTE_PCR_MISSING: {
    message: "The supplied PCR values do not cover every PCR the quote selected",
    exit: EXIT.format,
    http: 422,
  },
  EW_ERR_QUOTE_SIGNER: {
    message: "The quote was signed by a different attestation key than the one enrolled for this device",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_QUOTE_PCR_POLICY: {
    message: "A quoted PCR differs from its expected reference value; the device booted different software",
    exit: EXIT.policy,
    http: 422,
  },
  EW_ERR_QUOTE_CLOCK: {
    message:
      "The quote's clock, reset or restart counter went backwards since the last quote; the TPM was rolled back or replaced",
    exit: EXIT.policy,
    http: 422,
  },

  // Certify verification (TPM 2.0 Part 3 §18.2 TPM2_Certify).
  EW_ERR_TPM_CERTIFY_SIGNATURE: {
    message: "The certify signature does not verify with the attestation key",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_TPM_CERTIFY_NAME: {
    message: "The certified object's name does not match the public key presented; the evidence is about another key",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_TPM_CERTIFY_ATTRIBUTES: {
    message: "The certified key's attributes allow it to leave the TPM or be used without its policy",
    exit: EXIT.policy,
    http: 422,
  },
  EW_ERR_TPM_CERTIFY_POLICY: {
    message: "The certified key's policy digest is not the expected PCR policy",
    exit: EXIT.policy,
    http: 422,
  },
  EW_ERR_TPM_CERTIFY_NONCE: {
    message: "The certify evidence's qualifying data is not the expected value",
    exit: EXIT.policy,
    http: 422,
  },

  // Endorsement: EK certificates and credential activation (TPM 2.0 Part 1 §24; TCG EK Credential Profile).
  EW_ERR_TPM_EK_CERT_PARSE: {
    message: "The EK certificate is not a valid DER or PEM X.509 certificate",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_TPM_EK_CERT_CHAIN: {
    message: "The EK certificate does not chain to a configured TPM manufacturer root",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_TPM_EK_CERT_EXPIRED: {
    message: "A certificate in the EK certificate chain is expired or not yet valid",
    exit: EXIT.policy,
    http: 422,
  },
  EW_ERR_TPM_EK_CERT_KEY: {
    message: "The EK certificate certifies a different key than the TPM's endorsement key",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_TPM_EK_CERT_MISSING: {
    message: "The TPM holds no EK certificate in NV; ask the manufacturer for it or provision one",
    exit: EXIT.device,
    http: 404,
  },
  EW_ERR_TPM_CREDENTIAL_KEY: {
    message: "The endorsement key cannot receive a credential (it must be a restricted decryption key with AES-CFB)",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_TPM_CREDENTIAL: {
    message: "The TPM could not activate the credential; it was made for another TPM or another attestation key",
    exit: EXIT.auth,
    http: 422,
  },

  // The device (tpm2-tools driver and software keystore).
  EW_ERR_TPM_UNAVAILABLE: {
    message: "No TPM is reachable; check /dev/tpmrm0 or TPM2TOOLS_TCTI, or use the software keystore",
    exit: EXIT.device,
    http: 503,
  },
  EW_ERR_TPM_TOOLS_MISSING: {
    message: "tpm2-tools is not installed; install it (apt-get install tpm2-tools)",
    exit: EXIT.device,
    http: 503,
  },
  EW_ERR_TPM_BUSY: {
    message: "The TPM is busy or asked for a retry; try the operation again",
    exit: EXIT.device,
    http: 503,
  },
  EW_ERR_TPM_OBJECT_MEMORY: {
    message: "The TPM is out of memory for objects or sessions; flush transient handles (tpm2_flushcontext) and retry",
    exit: EXIT.device,
    http: 503,
  },
  EW_ERR_TPM_POLICY: {
    message: "The TPM refused the key because the boot state (PCR values) no longer matches its policy",
    exit: EXIT.policy,
    http: 403,
  },
  EW_ERR_TPM_LOCKOUT: {
    message:
      "The TPM is in dictionary-attack lockout; wait for the lockout to expire or reset it with the lockout authorization",
    exit: EXIT.device,
    http: 503,
  },
  EW_ERR_TPM_AUTH: {
    message: "The TPM rejected the authorization value for this object or hierarchy",
    exit: EXIT.auth,
    http: 403,
  },
  EW_ERR_TPM_FOREIGN_KEY: {
    message: "The key was made by a different TPM (or is damaged) and cannot be loaded here",
    exit: EXIT.auth,
    http: 403,
  },
  EW_ERR_TPM_COMMAND: {
    message: "The TPM rejected the command; the detail gives the TPM response code",
    exit: EXIT.device,
    http: 500,
  },
  EW_ERR_TPM_NV_UNDEFINED: {
    message: "The NV index is not defined on this TPM; define the counter first (edgeward tpm counter define)",
    exit: EXIT.device,
    http: 404,
  },
  EW_ERR_TPM_NOT_HARDWARE: {
    message: "This operation needs a hardware TPM, and the software keystore cannot provide it",
    exit: EXIT.device,
    http: 501,
  },
  EW_ERR_TPM_KEY_FILE: {
    message: "The TPM key file is malformed; recreate it with edgeward tpm keygen",
    exit: EXIT.format,
    http: 400,
  },
} as const satisfies Record<string, ErrorSpec>;
