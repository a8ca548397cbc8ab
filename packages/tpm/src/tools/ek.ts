/**
 * The endorsement key and its certificate (TCG EK Credential Profile for TPM 2.0, §2.2.1.4 handles and NV indices).
 * A persistent EK is used when the platform provisioned one; otherwise it is recreated from the TCG template
 * (`tpm2_createek`, low range: RSA 2048 template L-1, ECC P-256 template L-2).
 */
import { hasAttributes, parseTpm2bPublic, trimDer } from "@edgeward/core";
import type { EkType } from "../device.ts";
import { RC } from "./rc.ts";
import type { Workspace } from "./workspace.ts";

/** Persistent EK handles and the NV index of each one's certificate. */
const SLOTS: Record<EkType, readonly { handle: number; nv: number }[]> = {
  rsa: [{ handle: 0x81010001, nv: 0x01c00002 }],
  ecc: [
    { handle: 0x81010002, nv: 0x01c0000a },
    // swtpm_setup and some platforms provision an ECC P-384 EK at the high-range handle.
    { handle: 0x81010016, nv: 0x01c00016 },
  ],
};
const TEMPLATE_NV: Record<EkType, number> = { rsa: 0x01c00002, ecc: 0x01c0000a };

/** A usable EK: a handle or a context file, its TPM2B_PUBLIC, and whether a password (empty) can authorise it. */
export interface ResolvedEk {
  readonly context: string;
  readonly public: Uint8Array;
  readonly userWithAuth: boolean;
}

/** Finds the EK of `type`: a persistent one, or the template EK recreated in the workspace (ek.ctx). */
export async function resolveEk(ws: Workspace, type: EkType): Promise<ResolvedEk> {
  const persistent = await handles(ws, "handles-persistent");
  for (const slot of SLOTS[type]) {
    if (!persistent.has(slot.handle)) continue;
    const h = hex(slot.handle);
    await ws.run("tpm2_readpublic", ["-c", h, "-o", "ek.pub"], { loads: false });
    return describe(h, await ws.read("ek.pub"));
  }
  await ws.run("tpm2_createek", ["-c", "ek.ctx", "-G", type, "-u", "ek.pub"]);
  return describe("ek.ctx", await ws.read("ek.pub"));
}

/** The EK certificate for `type` from NV, DER without padding, or null when none is provisioned. */
export async function ekCertificate(ws: Workspace, type: EkType): Promise<Uint8Array | null> {
  const nv = await handles(ws, "handles-nv-index");
  const persistent = await handles(ws, "handles-persistent");
  const candidates = [
    ...SLOTS[type].filter((s) => persistent.has(s.handle)).map((s) => s.nv),
    TEMPLATE_NV[type],
    ...SLOTS[type].map((s) => s.nv),
  ];
  for (const index of candidates) {
    if (!nv.has(index)) continue;
    await ws.run("tpm2_nvread", ["-C", "o", hex(index), "-o", "ekcert.der"], {
      loads: false,
      overrides: { [RC.HANDLE]: "EW_ERR_TPM_EK_CERT_MISSING" },
    });
    return new Uint8Array(trimDer(await ws.read("ekcert.der")));
  }
  return null;
}

/** Which handles of a kind exist (`tpm2_getcap handles-persistent` prints `- 0x81010001` lines). */
export async function handles(ws: Workspace, cap: "handles-persistent" | "handles-nv-index"): Promise<Set<number>> {
  const { stdout } = await ws.run("tpm2_getcap", [cap], { loads: false });
  const out = new Set<number>();
  for (const m of stdout.matchAll(/0x([0-9a-fA-F]+)/g)) out.add(Number.parseInt(m[1] ?? "0", 16));
  return out;
}

function describe(context: string, pub: Uint8Array): ResolvedEk {
  return { context, public: pub, userWithAuth: hasAttributes(parseTpm2bPublic(pub), "userWithAuth") };
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
