/**
 * PCR values as a verifier receives them, and the PCR digest a quote signs (TPM 2.0 Part 3 §18.4.1: pcrDigest is
 * the hash, with the signing scheme's hash, of the selected PCR values concatenated in selection order).
 *
 * Accepted file forms: the `serialized` file `tpm2_quote -o` writes by default (a little-endian memory image of
 * TPML_PCR_SELECTION, a count, and TPML_DIGEST lists), the `values` form (digests concatenated, split by the
 * quote's selection), JSON (`{"sha256": {"7": "hex"}}`) and the YAML tpm2_pcrread prints.
 */
import { createHash } from "node:crypto";
import { EdgewardError } from "../errors/index.ts";
import { hashByAlg, hashByName, PCR_COUNT, type PcrBank } from "./constants.ts";
import { concat } from "./marshal.ts";
import type { PcrBankSelection, PcrSelection } from "./pcr-selection.ts";

/** PCR values by bank and index: `{ sha256: { 7: digest } }`. */
export type PcrValues = Partial<Record<PcrBank, Readonly<Record<number, Uint8Array>>>>;

/** The selected values concatenated in selection order; EW_ERR_QUOTE_PCR_MISSING when one is absent. */
export function concatSelectedPcrs(values: PcrValues, selection: PcrSelection): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const { bank, pcrs } of selection) {
    const size = hashByName(bank)?.size ?? 0;
    for (const i of pcrs) {
      const v = values[bank]?.[i];
      if (v === undefined) throw new EdgewardError("EW_ERR_QUOTE_PCR_MISSING", { detail: `${bank}:${i}` });
      if (v.length !== size)
        throw new EdgewardError("EW_ERR_TPM_PCR_VALUES", { detail: `${bank}:${i} has ${v.length} bytes` });
      parts.push(v);
    }
  }
  return concat(parts);
}

/** H(PCR[sel0] ‖ PCR[sel1] ‖ …) with `hash` (`sha256`): the pcrDigest of TPMS_QUOTE_INFO and of PolicyPCR. */
export function pcrDigest(values: PcrValues, selection: PcrSelection, hash: string): Uint8Array {
  return createHash(hash).update(concatSelectedPcrs(values, selection)).digest();
}

/** Only the selected values (what a verifier should keep from a larger set). */
export function selectPcrs(values: PcrValues, selection: PcrSelection): PcrValues {
  const out: Record<string, Record<number, Uint8Array>> = {};
  for (const { bank, pcrs } of selection) {
    const b: Record<number, Uint8Array> = {};
    for (const i of pcrs) {
      const v = values[bank]?.[i];
      if (v !== undefined) b[i] = v;
    }
    out[bank] = b;
  }
  return out;
}

// tpm2-tools "serialized" layout (tpm2-tools lib/pcr.c, x86-64 and arm64 little endian):
//   TPML_PCR_SELECTION: u32 count, 16 × { u16 hash, u8 sizeofSelect, u8 pcrSelect[4], u8 pad } = 132 bytes
//   u32 number of TPML_DIGEST lists
//   each TPML_DIGEST: u32 count, 8 × { u16 size, u8 buffer[64] } = 532 bytes
const SEL_BYTES = 132;
const LIST_BYTES = 532;

/**
 * Parses a PCR values file. With `selection` (the quote's), the `values` form is also accepted. Returns the values
 * and, for the serialized form, the selection the file itself declares. Throws EW_ERR_TPM_PCR_VALUES.
 */
export function parsePcrValuesFile(
  bytes: Uint8Array,
  selection?: PcrSelection,
): { values: PcrValues; selection: PcrSelection | undefined } {
  const text = asText(bytes);
  if (text !== undefined) {
    const values = text.trimStart().startsWith("{") ? parseJson(text) : parseYaml(text);
    return { values, selection: undefined };
  }
  if (bytes.length >= SEL_BYTES + 4 && (bytes.length - SEL_BYTES - 4) % LIST_BYTES === 0) return parseSerialized(bytes);
  if (selection !== undefined) return { values: parseConcatenated(bytes, selection), selection };
  throw new EdgewardError("EW_ERR_TPM_PCR_VALUES", { detail: `unrecognised ${bytes.length}-byte file` });
}

function parseSerialized(bytes: Uint8Array): { values: PcrValues; selection: PcrSelection } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string): never => {
    throw new EdgewardError("EW_ERR_TPM_PCR_VALUES", { detail: `serialized PCR file: ${why}` });
  };
  const count = v.getUint32(0, true);
  if (count > 16) bad(`${count} banks`);
  const selection: PcrBankSelection[] = [];
  for (let i = 0; i < count; i++) {
    const at = 4 + i * 8;
    const hash = hashByAlg(v.getUint16(at, true));
    const size = v.getUint8(at + 2);
    if (hash === undefined || size > 4) return bad(`bank ${i}`);
    const pcrs: number[] = [];
    for (let byte = 0; byte < size; byte++)
      for (let bit = 0; bit < 8; bit++) if ((v.getUint8(at + 3 + byte) >> bit) & 1) pcrs.push(byte * 8 + bit);
    selection.push({ bank: hash.name, pcrs });
  }
  const lists = v.getUint32(SEL_BYTES, true);
  if (bytes.length !== SEL_BYTES + 4 + lists * LIST_BYTES) bad(`${lists} digest lists in ${bytes.length} bytes`);
  const digests: Uint8Array[] = [];
  for (let l = 0; l < lists; l++) {
    const at = SEL_BYTES + 4 + l * LIST_BYTES;
    const n = v.getUint32(at, true);
    if (n > 8) bad(`digest list of ${n}`);
    for (let d = 0; d < n; d++) {
      const dat = at + 4 + d * 66;
      const size = v.getUint16(dat, true);
      if (size > 64) bad(`digest of ${size} bytes`);
      digests.push(bytes.slice(dat + 2, dat + 2 + size));
    }
  }
  return { values: assign(digests, selection), selection };
}

function parseConcatenated(bytes: Uint8Array, selection: PcrSelection): PcrValues {
  const digests: Uint8Array[] = [];
  let o = 0;
  for (const { bank, pcrs } of selection) {
    const size = hashByName(bank)?.size ?? 0;
    for (let k = 0; k < pcrs.length; k++) {
      digests.push(bytes.slice(o, o + size));
      o += size;
    }
  }
  if (o !== bytes.length)
    throw new EdgewardError("EW_ERR_TPM_PCR_VALUES", { detail: `${bytes.length} bytes for ${o} bytes of PCRs` });
  return assign(digests, selection);
}

/** Pairs digests, in order, with the selection; sizes must match each bank. */
function assign(digests: readonly Uint8Array[], selection: PcrSelection): PcrValues {
  const out: Record<string, Record<number, Uint8Array>> = {};
  let k = 0;
  for (const { bank, pcrs } of selection) {
    const size = hashByName(bank)?.size ?? 0;
    const b: Record<number, Uint8Array> = (out[bank] = {});
    for (const i of pcrs) {
      const d = digests[k++];
      if (d === undefined || d.length !== size)
        throw new EdgewardError("EW_ERR_TPM_PCR_VALUES", { detail: `value for ${bank}:${i}` });
      b[i] = d;
    }
  }
  if (k !== digests.length)
    throw new EdgewardError("EW_ERR_TPM_PCR_VALUES", { detail: `${digests.length} digests for ${k} PCRs` });
  return out;
}

function asText(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0 || bytes.length > 1 << 20) return undefined;
  for (const b of bytes)
    if (b === 0 || (b < 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) || b > 0x7e) return undefined;
  return new TextDecoder().decode(bytes);
}

function parseJson(text: string): PcrValues {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new EdgewardError("EW_ERR_TPM_PCR_VALUES", { detail: "invalid JSON", cause: err });
  }
  if (typeof doc === "object" && doc !== null && "pcrs" in doc) doc = doc.pcrs;
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw new EdgewardError("EW_ERR_TPM_PCR_VALUES", { detail: "JSON must map banks to {index: hex}" });
  const out = new PcrValueBuilder();
  for (const [bank, entries] of Object.entries(doc)) {
    if (typeof entries !== "object" || entries === null || Array.isArray(entries))
      throw new EdgewardError("EW_ERR_TPM_PCR_VALUES", { detail: `bank ${bank}` });
    for (const [index, hex] of Object.entries(entries as Record<string, unknown>)) out.add(bank, index, hex);
  }
  return out.values;
}

/** The YAML tpm2_pcrread and tpm2_quote print: `sha256:` lines, then `  7 : 0x…` lines. */
function parseYaml(text: string): PcrValues {
  const out = new PcrValueBuilder();
  let bank: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, "").trimEnd();
    if (line.trim() === "" || /^\s*pcrs\s*:\s*$/.test(line)) continue;
    const b = /^\s*-?\s*(sha1|sha256|sha384|sha512)\s*:\s*$/i.exec(line);
    if (b) {
      bank = (b[1] ?? "").toLowerCase();
      continue;
    }
    const v = /^\s*([0-9]+)\s*:\s*(?:0x)?([0-9a-fA-F]+)\s*$/.exec(line);
    if (!v || bank === undefined) throw new EdgewardError("EW_ERR_TPM_PCR_VALUES", { detail: `line "${line.trim()}"` });
    out.add(bank, v[1] ?? "", v[2]);
  }
  return out.values;
}

class PcrValueBuilder {
  readonly #out: Record<string, Record<number, Uint8Array>> = {};

  add(bankName: string, index: string, hex: unknown): void {
    const hash = hashByName(bankName.toLowerCase());
    const i = Number(index);
    if (hash === undefined || !/^[0-9]+$/.test(index) || i >= PCR_COUNT)
      throw new EdgewardError("EW_ERR_TPM_PCR_VALUES", { detail: `${bankName}:${index}` });
    const h = typeof hex === "string" ? hex.replace(/^0x/i, "") : "";
    if (!/^[0-9a-fA-F]*$/.test(h) || h.length !== hash.size * 2)
      throw new EdgewardError("EW_ERR_TPM_PCR_VALUES", {
        detail: `${bankName}:${index} is not ${hash.size} hex bytes`,
      });
    (this.#out[hash.name] ??= {})[i] = Uint8Array.from(Buffer.from(h, "hex"));
  }

  get values(): PcrValues {
    return this.#out;
  }
}
