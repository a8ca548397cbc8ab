/**
 * TPM2_PCR_Read over a direct transport, and the PCR values file `tpm2_quote -o` writes by default, byte for byte,
 * so a quote made here is interchangeable with one made by tpm2-tools.
 */
import {
  EdgewardError,
  hashByName,
  readPcrSelection,
  TpmReader,
  TpmWriter,
  writePcrSelection,
  type PcrBank,
  type PcrSelection,
  type PcrValues,
} from "@edgeward/core";
import { CC, type TpmCommands } from "./commands.ts";

/** The values of a selection as the TPM returned them, one digest list per TPM2_PCR_Read response. */
export interface PcrReadout {
  /** Each response's TPML_DIGEST, in order: the lists the serialized file holds. */
  readonly lists: readonly (readonly Uint8Array[])[];
  readonly values: PcrValues;
  /** False when pcrUpdateCounter changed between responses: the values may come from two PCR states. */
  readonly consistent: boolean;
}

/**
 * Reads every PCR of `selection`. A TPM returns at most eight digests per TPM2_PCR_Read (Part 3 §22.4.1: it may
 * return fewer than selected, and says which in pcrSelectionOut), so the rest is asked for again until none is
 * left; a PCR the TPM never returns (an unallocated bank) is EW_ERR_TPM_PCR_SELECTION.
 */
export async function readPcrs(tpm: TpmCommands, selection: PcrSelection): Promise<PcrReadout> {
  const remaining = new Map<PcrBank, Set<number>>(selection.map((b) => [b.bank, new Set(b.pcrs)]));
  const values: Partial<Record<PcrBank, Record<number, Uint8Array>>> = {};
  const lists: Uint8Array[][] = [];
  let counter: number | undefined;
  let consistent = true;
  while ([...remaining.values()].some((s) => s.size > 0)) {
    const ask: PcrSelection = [...remaining].map(([bank, set]) => ({ bank, pcrs: [...set].sort((a, b) => a - b) }));
    const r = await tpm.call(CC.PCR_Read, [], undefined, writePcrSelection(new TpmWriter(), ask).finish());
    const rd: TpmReader = new TpmReader(r.params, "TPM2_PCR_Read response");
    const updateCounter = rd.u32();
    if (counter !== undefined && counter !== updateCounter) consistent = false;
    counter = updateCounter;
    const got = readPcrSelection(rd);
    const n = rd.u32();
    if (n > 8) rd.fail(`TPML_DIGEST count ${n}`);
    const list: Uint8Array[] = [];
    for (let k = 0; k < n; k++) list.push(rd.tpm2b(64, "PCR digest"));
    rd.end();
    let k = 0;
    for (const { bank, pcrs } of got)
      for (const i of pcrs) {
        const d = list[k++];
        const left = remaining.get(bank);
        if (d === undefined || d.length !== hashByName(bank)?.size || left?.has(i) !== true)
          rd.fail(`unexpected value for ${bank}:${i}`);
        (values[bank] ??= {})[i] = d;
        left.delete(i);
      }
    if (k !== n) rd.fail(`${n} digests for ${k} PCRs`);
    if (n === 0)
      throw new EdgewardError("EW_ERR_TPM_PCR_SELECTION", {
        detail: `${ask.map((b) => `${b.bank}:${b.pcrs.join(",")}`).join("+")} is not active`,
      });
    lists.push(list);
  }
  return { lists, values, consistent };
}

// tpm2-tools' "serialized" layout (the memory image tpm2_quote -o writes; parsePcrValuesFile in core reads it):
//   TPML_PCR_SELECTION: u32 count, 16 × { u16 hash, u8 sizeofSelect, u8 pcrSelect[4], u8 pad } = 132 bytes
//   u32 number of TPML_DIGEST lists
//   each TPML_DIGEST: u32 count, 8 × { u16 size, u8 buffer[64] } = 532 bytes
// all little-endian (x86-64, arm64), unused slots and padding zero.
const SEL_BYTES = 132;
const LIST_BYTES = 532;

/** The PCR values file in tpm2-tools' serialized form for `selection` and the digest lists read for it. */
export function serializePcrsFile(selection: PcrSelection, lists: readonly (readonly Uint8Array[])[]): Uint8Array {
  if (selection.length > 16 || lists.some((l) => l.length > 8) || selection.some((b) => b.pcrs.some((p) => p > 31)))
    throw new EdgewardError("EW_ERR_TPM_PCR_SELECTION", { detail: "more than the serialized file holds" });
  const out = new Uint8Array(SEL_BYTES + 4 + lists.length * LIST_BYTES);
  const v = new DataView(out.buffer);
  v.setUint32(0, selection.length, true);
  selection.forEach(({ bank, pcrs }, i) => {
    const at = 4 + i * 8;
    const alg = hashByName(bank)?.alg ?? 0;
    v.setUint16(at, alg, true);
    // tpm2-tools parses every list with sizeofSelect 3 (PCR_SELECT_MIN for 24 PCRs).
    v.setUint8(at + 2, 3);
    for (const p of pcrs) out[at + 3 + (p >> 3)] = (out[at + 3 + (p >> 3)] ?? 0) | (1 << (p & 7));
  });
  v.setUint32(SEL_BYTES, lists.length, true);
  lists.forEach((list, l) => {
    const at = SEL_BYTES + 4 + l * LIST_BYTES;
    v.setUint32(at, list.length, true);
    list.forEach((d, k) => {
      v.setUint16(at + 4 + k * 66, d.length, true);
      out.set(d, at + 4 + k * 66 + 2);
    });
  });
  return out;
}
