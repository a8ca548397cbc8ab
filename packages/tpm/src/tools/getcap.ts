/** `edgeward tpm status` from `tpm2_getcap` (TPM 2.0 Part 2 §6.13 TPM_PT properties). */
import type { PcrBank } from "@edgeward/core";
import type { TpmStatus } from "../device.ts";
import { handles } from "./ek.ts";
import type { Workspace } from "./workspace.ts";

/** Reads manufacturer, firmware, active PCR banks and EK certificate presence. */
export async function readStatus(ws: Workspace): Promise<Omit<TpmStatus, "tcti">> {
  const props = parseProperties((await ws.run("tpm2_getcap", ["properties-fixed"], { loads: false })).stdout);
  const banks = activeBanks((await ws.run("tpm2_getcap", ["pcrs"], { loads: false })).stdout);
  const nv = await handles(ws, "handles-nv-index");
  const text = (name: string): string => props.get(name)?.value ?? "";
  const raw = (name: string): number => props.get(name)?.raw ?? 0;
  const vendor = [1, 2, 3, 4]
    .map((i) => text(`TPM2_PT_VENDOR_STRING_${i}`))
    .join("")
    .trim();
  const revision = raw("TPM2_PT_REVISION");
  return {
    kind: "tpm2-tools",
    hardwareBacked: true,
    manufacturer: text("TPM2_PT_MANUFACTURER") || `0x${raw("TPM2_PT_MANUFACTURER").toString(16)}`,
    vendor,
    firmwareVersion: [raw("TPM2_PT_FIRMWARE_VERSION_1"), raw("TPM2_PT_FIRMWARE_VERSION_2")]
      .map((v) => v.toString(16).padStart(8, "0"))
      .join("."),
    specification: `${text("TPM2_PT_FAMILY_INDICATOR") || "2.0"} rev ${Math.floor(revision / 100)}.${revision % 100}`,
    pcrBanks: banks,
    ekCertificates: { rsa: nv.has(0x01c00002), ecc: nv.has(0x01c0000a) || nv.has(0x01c00016) },
  };
}

/** Parses the `NAME:\n  raw: 0x…\n  value: "…"` YAML tpm2_getcap prints. */
function parseProperties(yaml: string): Map<string, { raw: number; value?: string }> {
  const out = new Map<string, { raw: number; value?: string }>();
  let current: string | undefined;
  for (const line of yaml.split("\n")) {
    const head = /^(TPM2?_PT_[A-Z0-9_]+):\s*$/.exec(line);
    if (head) {
      current = head[1];
      if (current !== undefined) out.set(current, { raw: 0 });
      continue;
    }
    if (current === undefined) continue;
    const raw = /^\s+raw:\s*(0x[0-9a-fA-F]+|[0-9]+)/.exec(line);
    const entry = out.get(current);
    if (raw && entry) entry.raw = Number(raw[1]);
    const value = /^\s+value:\s*"?([^"]*)"?\s*$/.exec(line);
    if (value && entry) entry.value = (value[1] ?? "").replace(/\0/g, "").trim();
  }
  return out;
}

/** Banks with a non-empty selection in `tpm2_getcap pcrs` (`  - sha256: [ 0, 1, … ]`). */
function activeBanks(yaml: string): PcrBank[] {
  const out: PcrBank[] = [];
  for (const m of yaml.matchAll(/-\s*(sha1|sha256|sha384|sha512):\s*\[([^\]]*)\]/g))
    if ((m[2] ?? "").trim() !== "") out.push(m[1] as PcrBank);
  return out;
}
