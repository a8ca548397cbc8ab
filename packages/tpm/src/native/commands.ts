/**
 * The few TPM 2.0 commands the unwrap needs, marshalled here (TPM 2.0 Part 3 command layouts; Part 1 §18 command
 * and response structure). Opening a sealed model costs one TPM2_ECDH_ZGen; through tpm2-tools that is ten
 * processes, here it is six round trips on one connection.
 */
import { randomBytes } from "node:crypto";
import { TpmReader, TpmWriter, TPM_RH, writePcrSelection, type ErrorCode, type PcrSelection } from "@edgeward/core";
import { TpmToolError } from "../tools/exec.ts";
import { codeForRc, decodeRc, RC } from "../tools/rc.ts";
import type { TpmTransport } from "./transport.ts";

const ST_NO_SESSIONS = 0x8001;
const ST_SESSIONS = 0x8002;
const RS_PW = 0x40000009;
const RH_NULL = 0x40000007;
/** Command codes (Part 2 §6.5.2 TPM_CC). */
export const CC = {
  NV_DefineSpace: 0x12a,
  CreatePrimary: 0x131,
  NV_Increment: 0x134,
  NV_Read: 0x14e,
  ECDH_ZGen: 0x154,
  Load: 0x157,
  Quote: 0x158,
  FlushContext: 0x165,
  StartAuthSession: 0x176,
  PCR_Read: 0x17e,
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

/** What TPM2_CreatePrimary returns that the driver keeps. */
export interface CreatedPrimary {
  readonly handle: number;
  /** TPM2B_PUBLIC, size included. */
  readonly outPublic: Uint8Array;
  /** TPM2B_NAME's bytes: nameAlg ‖ H(TPMT_PUBLIC). */
  readonly name: Uint8Array;
}

/** One connection's worth of commands. */
export class TpmCommands {
  readonly #t: TpmTransport;

  constructor(transport: TpmTransport) {
    this.#t = transport;
  }

  /** TPM2_CreatePrimary under TPM_RH_OWNER (empty owner auth) with `template`; returns the object handle. */
  async createPrimary(template: Uint8Array): Promise<number> {
    return (await this.createPrimaryIn(TPM_RH.OWNER, template)).handle;
  }

  /**
   * TPM2_CreatePrimary (Part 3 §24.1) in `hierarchy` with its empty authorization, an empty TPM2B_SENSITIVE_CREATE
   * (no auth value, no data: what tpm2_createprimary sends without -p), no outsideInfo and no creation PCRs.
   * Returns the handle, the created TPM2B_PUBLIC (size included, as `tpm2_createprimary -o` writes it) and the name.
   */
  async createPrimaryIn(hierarchy: number, template: Uint8Array): Promise<CreatedPrimary> {
    const params = new TpmWriter()
      .tpm2b(new TpmWriter().tpm2b(new Uint8Array(0)).tpm2b(new Uint8Array(0)).finish()) // TPM2B_SENSITIVE_CREATE
      .tpm2b(template)
      .tpm2b(new Uint8Array(0)) // outsideInfo
      .u32(0) // creationPCR: empty TPML_PCR_SELECTION
      .finish();
    const r = await this.call(CC.CreatePrimary, [hierarchy], passwordAuth(), params);
    // Response parameters: outPublic, creationData, creationHash, creationTicket, name (Part 3 §24.1).
    const rd = new TpmReader(r.params, "TPM2_CreatePrimary response");
    const size = rd.u16();
    rd.bytes(size);
    const outPublic = rd.slice(0, 2 + size);
    rd.tpm2b(0xffff, "creationData");
    rd.tpm2b(64, "creationHash");
    rd.u16(); // creationTicket.tag
    rd.u32(); // creationTicket.hierarchy
    rd.tpm2b(64, "creationTicket.digest");
    const name = rd.tpm2b(66, "name");
    rd.end();
    return { handle: r.handle, outPublic, name };
  }

  /** TPM2_Load of a TPM2B_PRIVATE/TPM2B_PUBLIC under `parent`; a blob from another TPM is EW_ERR_TPM_FOREIGN_KEY. */
  async load(parent: number, priv: Uint8Array, pub: Uint8Array): Promise<number> {
    const r = await this.call(CC.Load, [parent], passwordAuth(), concat(priv, pub), {
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
    const r = await this.call(CC.StartAuthSession, [RH_NULL, RH_NULL], undefined, params);
    return r.handle;
  }

  /** TPM2_PolicyPCR with an empty pcrDigest: the TPM uses its current values (Part 3 §23.7). */
  async policyPcr(session: number, pcrs: PcrSelection): Promise<void> {
    const params = writePcrSelection(new TpmWriter().tpm2b(new Uint8Array(0)), pcrs).finish();
    await this.call(CC.PolicyPCR, [session], undefined, params);
  }

  /**
   * TPM2_ECDH_ZGen authorised by the policy session (no HMAC: unbound, unsalted, no PolicyAuthValue). The session
   * is not continued, so the TPM flushes it after this command. Returns the X coordinate.
   */
  async ecdhZGen(key: number, session: number, peer: Uint8Array): Promise<Uint8Array> {
    const point = new TpmWriter().tpm2b(peer.subarray(1, 33)).tpm2b(peer.subarray(33, 65)).finish();
    const auth = new TpmWriter().u32(session).tpm2b(randomBytes(16)).u8(0).tpm2b(new Uint8Array(0)).finish();
    const r = await this.call(CC.ECDH_ZGen, [key], auth, new TpmWriter().tpm2b(point).finish());
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
    await this.call(CC.FlushContext, [], undefined, new TpmWriter().u32(handle).finish()).catch(() => undefined);
  }

  /** Sends `cmd`, again while the TPM answers with a warning that asks for that (see RESUBMIT). */
  async #submit(cmd: Uint8Array): Promise<Uint8Array> {
    for (let n = 1; ; n++) {
      const response = await this.#t.send(cmd);
      const rc = response.length >= 10 ? new DataView(response.buffer, response.byteOffset).getUint32(6) : 0;
      if (rc === 0 || n === MAX_SUBMISSIONS || !RESUBMIT.has(decodeRc(rc).base)) return response;
    }
  }

  /**
   * Sends a command: header, handles, the authorization area when `auth` is given, parameters. Returns the
   * response handle (if any) and the response parameters; a non-zero response code becomes a typed error, with
   * `overrides` saying what a base response code means for this command (see codeForRc).
   */
  async call(
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
    const res = new TpmReader(await this.#submit(cmd), "TPM response");
    const tag = res.u16();
    const size = res.u32();
    const rc = res.u32();
    if (rc !== 0) {
      const hex = `0x${rc.toString(16).padStart(3, "0")}`;
      const decoded = decodeRc(rc);
      // The base code is kept, as on the tools path, for callers that branch on it (NV_DEFINED, NV_UNINITIALIZED).
      throw new TpmToolError(codeForRc(decoded, overrides), decoded.base, {
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

/**
 * TPM_RC_RETRY, _YIELDED and _TESTING are warnings that the command was not executed and should be sent again
 * (Part 2 §6.6.3); tpm2-tools sees none of them because ESAPI resubmits up to five times. swtpm (libtpms) answers
 * some TPM2_Quote commands with TPM_RC_RETRY (about half of them in the tests here), which succeed when sent again.
 */
const RESUBMIT = new Set<number>([RC.RETRY, RC.YIELDED, RC.TESTING]);
const MAX_SUBMISSIONS = 5;

/** TPMS_AUTH_COMMAND for an empty password (Part 1 §19.8.4, TPM_RS_PW). */
export function passwordAuth(): Uint8Array {
  return new TpmWriter().u32(RS_PW).tpm2b(new Uint8Array(0)).u8(0).tpm2b(new Uint8Array(0)).finish();
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
