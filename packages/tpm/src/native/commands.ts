/**
 * The few TPM 2.0 commands the unwrap needs, marshalled here (TPM 2.0 Part 3 command layouts; Part 1 §18 command
 * and response structure). Opening a sealed model costs one TPM2_ECDH_ZGen; through tpm2-tools that is ten
 * processes, here it is six round trips on one connection.
 */
import { randomBytes } from "node:crypto";
import {
  EdgewardError,
  TpmReader,
  TpmWriter,
  TPM_RH,
  writePcrSelection,
  type ErrorCode,
  type PcrSelection,
} from "@edgeward/core";
import { codeForRc, decodeRc, RC } from "../tools/rc.ts";
import type { TpmTransport } from "./transport.ts";

const ST_NO_SESSIONS = 0x8001;
const ST_SESSIONS = 0x8002;
const RS_PW = 0x40000009;
const RH_NULL = 0x40000007;
const CC = {
  CreatePrimary: 0x131,
  Load: 0x157,
  ECDH_ZGen: 0x154,
  FlushContext: 0x165,
  StartAuthSession: 0x176,
  PolicyPCR: 0x17f,
} as const;

/**
 * The H-2 storage primary template (TCG EK Credential Profile 2.5 §B.4.5), byte for byte what
 * `tpm2_createprimary -C o -g sha256 -G ecc256:null:aes128cfb -a 'restricted|decrypt|fixedtpm|fixedparent|
 * sensitivedataorigin|userwithauth|noda'` sends, so keys created with tpm2-tools load under it.
 */
export function h2Template(): Uint8Array {
  return new TpmWriter()
    .u16(0x0023) // TPM_ALG_ECC
    .u16(0x000b) // nameAlg SHA-256
    .u32(0x00030472) // fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|noDA|restricted|decrypt
    .tpm2b(new Uint8Array(0)) // authPolicy
    .u16(0x0006) // symmetric AES
    .u16(128)
    .u16(0x0043) // CFB
    .u16(0x0010) // scheme NULL
    .u16(0x0003) // NIST P-256
    .u16(0x0010) // kdf NULL
    .tpm2b(new Uint8Array(0)) // unique.x
    .tpm2b(new Uint8Array(0)) // unique.y
    .finish();
}

/** One connection's worth of commands. */
export class TpmCommands {
  readonly #t: TpmTransport;

  constructor(transport: TpmTransport) {
    this.#t = transport;
  }

  /** TPM2_CreatePrimary under TPM_RH_OWNER (empty owner auth) with `template`; returns the object handle. */
  async createPrimary(template: Uint8Array): Promise<number> {
    const params = new TpmWriter()
      .tpm2b(new TpmWriter().tpm2b(new Uint8Array(0)).tpm2b(new Uint8Array(0)).finish()) // TPM2B_SENSITIVE_CREATE
      .tpm2b(template)
      .tpm2b(new Uint8Array(0)) // outsideInfo
      .u32(0) // creationPCR: empty TPML_PCR_SELECTION
      .finish();
    const r = await this.#call(CC.CreatePrimary, [TPM_RH.OWNER], passwordAuth(), params);
    return r.handle;
  }

  /** TPM2_Load of a TPM2B_PRIVATE/TPM2B_PUBLIC under `parent`; a blob from another TPM is EW_ERR_TPM_FOREIGN_KEY. */
  async load(parent: number, priv: Uint8Array, pub: Uint8Array): Promise<number> {
    const r = await this.#call(CC.Load, [parent], passwordAuth(), concat(priv, pub), {
      [RC.INTEGRITY]: "EW_ERR_TPM_FOREIGN_KEY",
    });
    return r.handle;
  }

  /** TPM2_StartAuthSession: an unbound, unsalted policy session with SHA-256 (Part 3 §11.1). */
  async startPolicySession(): Promise<number> {
    const params = new TpmWriter()
      .tpm2b(randomBytes(16)) // nonceCaller
      .tpm2b(new Uint8Array(0)) // encryptedSalt
      .u8(0x01) // TPM_SE_POLICY
      .u16(0x0010) // symmetric NULL
      .u16(0x000b) // authHash SHA-256
      .finish();
    const r = await this.#call(CC.StartAuthSession, [RH_NULL, RH_NULL], undefined, params);
    return r.handle;
  }

  /** TPM2_PolicyPCR with an empty pcrDigest: the TPM uses its current values (Part 3 §23.7). */
  async policyPcr(session: number, pcrs: PcrSelection): Promise<void> {
    const params = writePcrSelection(new TpmWriter().tpm2b(new Uint8Array(0)), pcrs).finish();
    await this.#call(CC.PolicyPCR, [session], undefined, params);
  }

  /**
   * TPM2_ECDH_ZGen authorised by the policy session (no HMAC: unbound, unsalted, no PolicyAuthValue). The session
   * is not continued, so the TPM flushes it after this command. Returns the X coordinate.
   */
  async ecdhZGen(key: number, session: number, peer: Uint8Array): Promise<Uint8Array> {
    const point = new TpmWriter().tpm2b(peer.subarray(1, 33)).tpm2b(peer.subarray(33, 65)).finish();
    const auth = new TpmWriter().u32(session).tpm2b(randomBytes(16)).u8(0).tpm2b(new Uint8Array(0)).finish();
    const r = await this.#call(CC.ECDH_ZGen, [key], auth, new TpmWriter().tpm2b(point).finish());
    const rd = new TpmReader(r.params, "TPM2B_ECC_POINT");
    rd.u16();
    const x = rd.tpm2b(66, "x");
    if (x.length > 32) rd.fail("x longer than 32 bytes");
    const out = new Uint8Array(32);
    out.set(x, 32 - x.length);
    return out;
  }

  /** TPM2_FlushContext; failures are ignored (the handle may already be gone). */
  async flush(handle: number): Promise<void> {
    await this.#call(CC.FlushContext, [], undefined, new TpmWriter().u32(handle).finish()).catch(() => undefined);
  }

  /**
   * Sends a command: header, handles, the authorization area when `auth` is given, parameters. Returns the
   * response handle (if any) and the response parameters; a non-zero response code becomes a typed error.
   */
  async #call(
    cc: number,
    handles: readonly number[],
    auth: Uint8Array | undefined,
    params: Uint8Array,
    overrides: Readonly<Record<number, ErrorCode>> = {},
  ): Promise<{ handle: number; params: Uint8Array }> {
    const body = new TpmWriter();
    for (const h of handles) body.u32(h);
    if (auth !== undefined) body.u32(auth.length).bytes(auth);
    body.bytes(params);
    const b = body.finish();
    const cmd = new TpmWriter()
      .u16(auth === undefined ? ST_NO_SESSIONS : ST_SESSIONS)
      .u32(10 + b.length)
      .u32(cc)
      .bytes(b)
      .finish();
    const res = new TpmReader(await this.#t.send(cmd), "TPM response");
    const tag = res.u16();
    const size = res.u32();
    const rc = res.u32();
    if (rc !== 0) {
      const hex = `0x${rc.toString(16).padStart(3, "0")}`;
      throw new EdgewardError(codeForRc(decodeRc(rc), overrides), {
        detail: `TPM command 0x${cc.toString(16)} (TPM_RC ${hex})`,
      });
    }
    if (size !== res.remaining + 10) res.fail(`response size ${size}`);
    // Responses that create an object or session carry its handle first (Part 3 response tables).
    const hasHandle = cc === CC.CreatePrimary || cc === CC.Load || cc === CC.StartAuthSession;
    const handle = hasHandle ? res.u32() : 0;
    if (tag === ST_SESSIONS) {
      const n = res.u32();
      return { handle, params: res.bytes(n) };
    }
    return { handle, params: res.bytes(res.remaining) };
  }
}

/** TPMS_AUTH_COMMAND for an empty password (Part 1 §19.8.4, TPM_RS_PW). */
function passwordAuth(): Uint8Array {
  return new TpmWriter().u32(RS_PW).tpm2b(new Uint8Array(0)).u8(0).tpm2b(new Uint8Array(0)).finish();
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
