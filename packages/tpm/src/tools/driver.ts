/**
 * The TpmDevice on tpm2-tools (Debian 12: 5.4), for a real TPM (/dev/tpmrm0) and for swtpm. Every operation runs
 * in its own workspace, one at a time per device (a TPM without a resource manager has one set of handles).
 *
 * Keys live under a deterministic storage primary: ECC P-256, AES-128-CFB, the TCG "H-2" SRK template (EK
 * Credential Profile 2.5 §B.4.5), the parent draft-bottomley-tpm2-keys names by TPM_RH_OWNER. It is recreated
 * for each operation, so nothing needs to be persisted in the TPM.
 */
import { existsSync } from "node:fs";
import {
  EdgewardError,
  eccPointSec1,
  formatPcrSelection,
  objectName,
  parsePcrValuesFile,
  parseTpm2bPublic,
  pcrDigest,
  policyPcrDigest,
  publicKeyOf,
  qualifiedName,
  TpmReader,
  TpmWriter,
  TPM_RH,
  type PcrSelection,
  type PcrValues,
} from "@edgeward/core";
import type {
  AttestationKey,
  CertifyEvidence,
  EkType,
  QuoteEvidence,
  TpmDevice,
  TpmStatus,
  WrappedObject,
} from "../device.ts";
import { nativeCounterDefine, nativeCounterIncrement, nativeCounterRead } from "../native/nv.ts";
import { nativeQuote } from "../native/quote.ts";
import { nativeEcdh } from "../native/unwrap.ts";
import { transportKind } from "../native/transport.ts";
import { ekCertificate, resolveEk } from "./ek.ts";
import { readStatus } from "./getcap.ts";
import { RC } from "./rc.ts";
import { inWorkspace, type Workspace } from "./workspace.ts";
import { counterDefine, counterIncrement, counterRead } from "./nv.ts";

/** Options for {@link Tpm2ToolsDevice}. */
export interface Tpm2ToolsOptions {
  /** The TCTI; default `TPM2TOOLS_TCTI`, else `device:/dev/tpmrm0`. */
  readonly tcti?: string;
  /** Per-tool timeout (default 60 s: swtpm on a loaded machine can be slow). */
  readonly timeoutMs?: number;
  /**
   * Do the unwrap (TPM2_ECDH_ZGen), the version-floor counter and the quote over the TCTI directly instead of
   * through tpm2-tools (default true where the TCTI carries raw TPM commands: swtpm's socket, /dev/tpmrm0). They
   * run on every model open, update and attestation; tpm2-tools there means one to ten processes each, the
   * direct path a few round trips on one connection.
   */
  readonly native?: boolean;
}

const SRK_ARGS = [
  "-C",
  "o",
  "-g",
  "sha256",
  "-G",
  "ecc256:null:aes128cfb",
  "-a",
  "restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda",
];

/**
 * The decryption key: never leaves the TPM (fixedTPM, fixedParent, sensitiveDataOrigin); the USER role (ECDH_ZGen)
 * only through its PCR policy (userWithAuth clear). adminWithPolicy is clear so TPM2_Certify can use the ADMIN role
 * with the empty auth value; the ADMIN role cannot use the key, and fixedParent forbids duplication.
 */
const DECRYPT_KEY_ATTRS = "fixedtpm|fixedparent|sensitivedataorigin|decrypt";
const SEAL_ATTRS = "fixedtpm|fixedparent";
const AK_ATTRS = "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign";

/**
 * The attestation key: a restricted ECDSA P-256 signing key, a primary in the endorsement hierarchy. A primary is
 * re-derived from the endorsement seed whenever it is needed, so there is nothing to store; and a key in the
 * endorsement hierarchy gets the real resetCount, restartCount and firmwareVersion in its quotes — the TPM
 * obfuscates them for keys in the storage hierarchy (Part 1 §36.7), which would defeat the verifier's monotonicity
 * check.
 */
const AK_ARGS = ["-C", "e", "-g", "sha256", "-G", "ecc256:ecdsa-sha256:null", "-a", AK_ATTRS];

/** A TPM driven through tpm2-tools. */
export class Tpm2ToolsDevice implements TpmDevice {
  readonly kind = "tpm2-tools" as const;
  readonly hardwareBacked = true;
  readonly tcti: string;
  readonly #timeoutMs: number;
  /** The kernel resource manager and tabrmd flush for us; swtpm and /dev/tpm0 need explicit flushes. */
  readonly #flush: boolean;
  readonly #native: boolean;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: Tpm2ToolsOptions = {}) {
    this.tcti = options.tcti ?? process.env["TPM2TOOLS_TCTI"] ?? "device:/dev/tpmrm0";
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#flush = !/tpmrm|^tabrmd|^abrmd/.test(this.tcti);
    this.#native = options.native !== false && transportKind(this.tcti) !== undefined;
  }

  get description(): string {
    return `TPM 2.0 via tpm2-tools (${this.tcti})`;
  }

  /** True when a TPM device node exists or a TCTI is configured (it may still fail to answer). */
  static present(tcti = process.env["TPM2TOOLS_TCTI"]): boolean {
    return tcti !== undefined || existsSync("/dev/tpmrm0") || existsSync("/dev/tpm0");
  }

  status(): Promise<TpmStatus> {
    return this.#op(async (ws) => ({ ...(await readStatus(ws)), tcti: this.tcti }));
  }

  createDecryptionKey(pcrs: PcrSelection, expected?: PcrValues): Promise<WrappedObject> {
    return this.#op(async (ws) => {
      const values = expected ?? (await readPcrs(ws, pcrs));
      const policy = policyPcrDigest(pcrs, values);
      await ws.write("policy.bin", policy);
      await createPrimary(ws);
      await ws.run("tpm2_create", [
        ...["-C", "srk.ctx", "-g", "sha256", "-G", "ecc256:ecdh", "-a", DECRYPT_KEY_ATTRS],
        ...["-L", "policy.bin", "-u", "key.pub", "-r", "key.priv"],
      ]);
      return wrapped(await ws.read("key.pub"), await ws.read("key.priv"), pcrs, values, policy);
    });
  }

  deriveSharedSecret(key: WrappedObject, peer: Uint8Array): Promise<Uint8Array> {
    if (peer.length !== 65 || peer[0] !== 4)
      return Promise.reject(
        new EdgewardError("EW_ERR_TPM_PARSE", { detail: "peer is not an uncompressed P-256 point" }),
      );
    if (key.kind !== "tpm2")
      return Promise.reject(new EdgewardError("EW_ERR_TPM_KEY_FILE", { detail: "not a TPM key" }));
    if (this.#native) return this.#exclusive(() => nativeEcdh(this.tcti, key, peer));
    return this.#op(async (ws) => {
      await loadWrapped(ws, key, "key.ctx");
      // TPM2B_ECC_POINT { TPM2B x, TPM2B y } (Part 2 §11.2.5.3), the input TPM2_ECDH_ZGen takes.
      const point = new TpmWriter().tpm2b(peer.subarray(1, 33)).tpm2b(peer.subarray(33)).finish();
      await ws.write("peer.bin", new TpmWriter().tpm2b(point).finish());
      await satisfyPcrPolicy(ws, key.pcrs);
      await ws.run("tpm2_ecdhzgen", ["-c", "key.ctx", "-p", "session:session.ctx", "-u", "peer.bin", "-o", "z.bin"]);
      const r = new TpmReader(await ws.read("z.bin"), "TPM2B_ECC_POINT");
      r.u16();
      const x = r.tpm2b(66, "x");
      if (x.length > 32) r.fail("x longer than 32 bytes");
      const out = new Uint8Array(32);
      out.set(x, 32 - x.length);
      return out;
    });
  }

  seal(secret: Uint8Array, pcrs: PcrSelection, expected?: PcrValues): Promise<WrappedObject> {
    if (secret.length === 0 || secret.length > 128)
      return Promise.reject(new EdgewardError("EW_ERR_INPUT_TOO_LARGE", { detail: "seal takes 1-128 bytes" }));
    return this.#op(async (ws) => {
      const values = expected ?? (await readPcrs(ws, pcrs));
      const policy = policyPcrDigest(pcrs, values);
      await ws.write("policy.bin", policy);
      await ws.write("secret.bin", secret);
      await createPrimary(ws);
      await ws.run("tpm2_create", [
        ...["-C", "srk.ctx", "-g", "sha256", "-a", SEAL_ATTRS, "-i", "secret.bin"],
        ...["-L", "policy.bin", "-u", "seal.pub", "-r", "seal.priv"],
      ]);
      return wrapped(await ws.read("seal.pub"), await ws.read("seal.priv"), pcrs, values, policy);
    });
  }

  unseal(sealed: WrappedObject): Promise<Uint8Array> {
    return this.#op(async (ws) => {
      await loadWrapped(ws, sealed, "seal.ctx");
      await satisfyPcrPolicy(ws, sealed.pcrs);
      await ws.run("tpm2_unseal", ["-c", "seal.ctx", "-p", "session:session.ctx", "-o", "secret.bin"]);
      return ws.read("secret.bin");
    });
  }

  createAttestationKey(): Promise<AttestationKey> {
    return this.#op(async (ws) => {
      await ws.run("tpm2_createprimary", [...AK_ARGS, "-c", "ak.ctx", "-o", "ak.pub"]);
      const pub = await ws.read("ak.pub");
      const area = parseTpm2bPublic(pub);
      const name = objectName(area);
      // Part 1 §16.4: a primary's qualified name is H(hierarchy handle ‖ name).
      const qn = qualifiedName(new TpmWriter().u32(TPM_RH.ENDORSEMENT).finish(), name);
      const pem = publicKeyOf(area).export({ type: "spki", format: "pem" }).toString();
      return { public: pub, name, qualifiedName: qn, publicKeyPem: pem };
    });
  }

  quote(ak: AttestationKey, pcrs: PcrSelection, nonce: Uint8Array): Promise<QuoteEvidence> {
    if (this.#native) return this.#exclusive(() => nativeQuote(this.tcti, ak, pcrs, nonce));
    return this.#op(async (ws) => {
      // The AK's first copy stays loaded through tpm2_quote (two of the TPM's three transient slots); the flush
      // after tpm2_quote, or the workspace's on a failure, removes both. One tool process fewer per quote.
      await loadAk(ws, ak, false);
      const q = nonce.length > 0 ? ["-q", Buffer.from(nonce).toString("hex")] : [];
      await ws.run("tpm2_quote", [
        ...["-c", "ak.ctx", "-l", formatPcrSelection(pcrs), ...q, "-g", "sha256"],
        ...["-m", "quote.msg", "-s", "quote.sig", "-o", "quote.pcrs"],
      ]);
      const pcrsFile = await ws.read("quote.pcrs");
      return {
        message: await ws.read("quote.msg"),
        signature: await ws.read("quote.sig"),
        pcrsFile,
        pcrValues: parsePcrValuesFile(pcrsFile).values,
      };
    });
  }

  certify(ak: AttestationKey, key: WrappedObject): Promise<CertifyEvidence> {
    return this.#op(async (ws) => {
      await loadAk(ws, ak);
      await loadWrapped(ws, key, "key.ctx");
      await ws.run("tpm2_certify", [
        "-c",
        "key.ctx",
        "-C",
        "ak.ctx",
        "-g",
        "sha256",
        "-o",
        "attest.bin",
        "-s",
        "sig.bin",
      ]);
      return { attest: await ws.read("attest.bin"), signature: await ws.read("sig.bin") };
    });
  }

  activateCredential(ak: AttestationKey, credentialFile: Uint8Array, ekType: EkType): Promise<Uint8Array> {
    return this.#op(async (ws) => {
      await ws.write("cred.bin", credentialFile);
      const ek = await resolveEk(ws, ekType);
      await loadAk(ws, ak);
      const auth: string[] = [];
      if (!ek.userWithAuth) {
        // The TCG EK templates' policy A: PolicySecret(TPM_RH_ENDORSEMENT) (EK Credential Profile §B.6).
        await ws.startPolicySession("ek-session.ctx");
        await ws.run("tpm2_policysecret", ["-S", "ek-session.ctx", "-c", "e"], { loads: false });
        auth.push("-P", "session:ek-session.ctx");
      }
      // A credential for another TPM fails its integrity check (ECC, or RSA with a lucky OAEP decode) or its OAEP
      // decryption, which libtpms reports as TPM_RC_FAILURE without entering failure mode.
      const credentialFailure = {
        [RC.INTEGRITY]: "EW_ERR_TPM_CREDENTIAL",
        [RC.VALUE]: "EW_ERR_TPM_CREDENTIAL",
        [RC.SIZE]: "EW_ERR_TPM_CREDENTIAL",
        [RC.ECC_POINT]: "EW_ERR_TPM_CREDENTIAL",
        [RC.FAILURE]: "EW_ERR_TPM_CREDENTIAL",
      } as const;
      await ws.run(
        "tpm2_activatecredential",
        ["-c", "ak.ctx", "-C", ek.context, ...auth, "-i", "cred.bin", "-o", "secret.bin"],
        { overrides: credentialFailure },
      );
      return ws.read("secret.bin");
    });
  }

  pcrRead(pcrs: PcrSelection): Promise<PcrValues> {
    return this.#op((ws) => readPcrs(ws, pcrs));
  }

  pcrExtend(index: number, data: Uint8Array): Promise<void> {
    if (!Number.isInteger(index) || index < 0 || index > 23)
      return Promise.reject(new EdgewardError("EW_ERR_TPM_PCR_SELECTION", { detail: `PCR ${index}` }));
    if (data.length > 1024)
      return Promise.reject(new EdgewardError("EW_ERR_INPUT_TOO_LARGE", { detail: "PCR event data over 1024 bytes" }));
    return this.#op(async (ws) => {
      await ws.write("event.bin", data);
      // TPM2_PCR_Event (Part 3 §22.3): the TPM hashes the data with each active bank's algorithm and extends.
      await ws.run("tpm2_pcrevent", [String(index), "event.bin"], { loads: false });
    });
  }

  ekPublic(ekType: EkType): Promise<Uint8Array> {
    return this.#op(async (ws) => (await resolveEk(ws, ekType)).public);
  }

  ekCertificate(ekType: EkType): Promise<Uint8Array | null> {
    return this.#op((ws) => ekCertificate(ws, ekType));
  }

  counterDefine(index: number): Promise<bigint> {
    if (this.#native) return this.#exclusive(() => nativeCounterDefine(this.tcti, index));
    return this.#op((ws) => counterDefine(ws, index));
  }

  counterIncrement(index: number): Promise<bigint> {
    if (this.#native) return this.#exclusive(() => nativeCounterIncrement(this.tcti, index));
    return this.#op((ws) => counterIncrement(ws, index));
  }

  counterRead(index: number): Promise<bigint> {
    if (this.#native) return this.#exclusive(() => nativeCounterRead(this.tcti, index));
    return this.#op((ws) => counterRead(ws, index));
  }

  /** Runs one tool-based operation, in its own workspace, after the previous operation has finished. */
  #op<T>(fn: (ws: Workspace) => Promise<T>): Promise<T> {
    return this.#exclusive(() => inWorkspace({ tcti: this.tcti, timeoutMs: this.#timeoutMs }, this.#flush, fn));
  }

  /** Runs `fn` after the previous operation has finished: a TPM without a resource manager has one set of handles. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

async function createPrimary(ws: Workspace): Promise<void> {
  await ws.run("tpm2_createprimary", [...SRK_ARGS, "-c", "srk.ctx"]);
}

/** Loads a wrapped object under a fresh storage primary; a blob from another TPM fails its integrity check. */
async function loadWrapped(ws: Workspace, obj: WrappedObject, ctx: string): Promise<void> {
  if (obj.kind !== "tpm2") throw new EdgewardError("EW_ERR_TPM_KEY_FILE", { detail: "not a TPM key" });
  await ws.write(`${ctx}.pub`, obj.public);
  await ws.write(`${ctx}.priv`, obj.private);
  await createPrimary(ws);
  await ws.run("tpm2_load", ["-C", "srk.ctx", "-u", `${ctx}.pub`, "-r", `${ctx}.priv`, "-c", ctx], {
    overrides: { [RC.INTEGRITY]: "EW_ERR_TPM_FOREIGN_KEY" },
  });
}

/**
 * Re-derives the AK (a primary key: the same template gives the same key on the same TPM) as ak.ctx; `flush`
 * false leaves it loaded for the next tool to flush with its own transients.
 */
async function loadAk(ws: Workspace, ak: AttestationKey, flush = true): Promise<void> {
  await ws.run("tpm2_createprimary", [...AK_ARGS, "-c", "ak.ctx", "-o", "ak-now.pub"], { loads: flush });
  if (!Buffer.from(await ws.read("ak-now.pub")).equals(ak.public))
    throw new EdgewardError("EW_ERR_TPM_FOREIGN_KEY", { detail: "the attestation key belongs to another TPM" });
}

/** A policy session that has run TPM2_PolicyPCR over the current values of `pcrs` (session.ctx). */
async function satisfyPcrPolicy(ws: Workspace, pcrs: PcrSelection): Promise<void> {
  await ws.startPolicySession("session.ctx");
  await ws.run("tpm2_policypcr", ["-S", "session.ctx", "-l", formatPcrSelection(pcrs)], { loads: false });
}

async function readPcrs(ws: Workspace, pcrs: PcrSelection): Promise<PcrValues> {
  const { stdout } = await ws.run("tpm2_pcrread", [formatPcrSelection(pcrs)], { loads: false });
  const values = parsePcrValuesFile(new TextEncoder().encode(stdout)).values;
  for (const { bank, pcrs: list } of pcrs)
    for (const i of list)
      if (values[bank]?.[i] === undefined)
        throw new EdgewardError("EW_ERR_TPM_PCR_SELECTION", { detail: `${bank}:${i} is not an active PCR` });
  return values;
}

function wrapped(
  pub: Uint8Array,
  priv: Uint8Array,
  pcrs: PcrSelection,
  values: PcrValues,
  policy: Uint8Array,
): WrappedObject {
  return {
    kind: "tpm2",
    public: pub,
    private: priv,
    pcrs,
    pcrDigest: pcrDigest(values, pcrs, "sha256"),
    policyDigest: policy,
  };
}

/** The uncompressed P-256 point of a wrapped TPM decryption key. */
export function wrappedPublicPoint(key: WrappedObject): Uint8Array {
  return key.kind === "tpm2" ? eccPointSec1(parseTpm2bPublic(key.public)) : key.public;
}
