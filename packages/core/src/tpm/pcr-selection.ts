/**
 * PCR selections: TPML_PCR_SELECTION on the wire (TPM 2.0 Part 2 §10.9.7, §10.6.2 TPMS_PCR_SELECTION) and the
 * tpm2-tools text form (`sha256:7,16` or `7,16`, banks joined by `+`).
 */
import { EdgewardError } from "../errors/index.ts";
import { hashByAlg, hashByName, PCR_COUNT, type PcrBank } from "./constants.ts";
import { TpmReader, TpmWriter } from "./marshal.ts";

/** One bank's selected PCR indices, ascending and without repeats. */
export interface PcrBankSelection {
  readonly bank: PcrBank;
  readonly pcrs: readonly number[];
}

/** A PCR selection: banks in the order the TPM reports them (the order PCR digests are computed in). */
export type PcrSelection = readonly PcrBankSelection[];

/** The most banks a TPML_PCR_SELECTION may hold (HASH_COUNT in the reference implementation is far lower). */
const MAX_BANKS = 16;
/** sizeofSelect is at most 32 bytes (256 PCRs) in any profile; PC-client TPMs use 3. */
const MAX_SELECT = 32;

/** Reads a TPML_PCR_SELECTION. Unknown hash algorithms and empty banks fail with EW_ERR_TPM_PARSE. */
export function readPcrSelection(r: TpmReader): PcrSelection {
  const count = r.u32();
  if (count > MAX_BANKS) r.fail(`TPML_PCR_SELECTION count ${count}`);
  const banks: PcrBankSelection[] = [];
  for (let i = 0; i < count; i++) {
    const alg = r.u16();
    const hash = hashByAlg(alg);
    if (hash === undefined) r.fail(`PCR bank with unknown hash 0x${alg.toString(16)}`);
    const size = r.u8();
    if (size > MAX_SELECT) r.fail(`sizeofSelect ${size}`);
    const bits = r.bytes(size);
    const pcrs: number[] = [];
    for (let byte = 0; byte < bits.length; byte++)
      for (let bit = 0; bit < 8; bit++) if (((bits[byte] ?? 0) >> bit) & 1) pcrs.push(byte * 8 + bit);
    if (banks.some((b) => b.bank === hash.name)) r.fail(`PCR bank ${hash.name} selected twice`);
    banks.push({ bank: hash.name, pcrs });
  }
  return banks;
}

/** Parses a whole buffer as a TPML_PCR_SELECTION. */
export function parsePcrSelection(bytes: Uint8Array): PcrSelection {
  const r = new TpmReader(bytes, "TPML_PCR_SELECTION");
  const sel = readPcrSelection(r);
  r.end();
  return sel;
}

/**
 * Writes a TPML_PCR_SELECTION with sizeofSelect = 3 (PCR_SELECT_MIN for 24 PCRs) or more when a higher PCR is
 * selected. tpm2-tools sends the same bytes, so policy digests computed here match the ones it computes.
 */
export function writePcrSelection(w: TpmWriter, selection: PcrSelection): TpmWriter {
  w.u32(selection.length);
  for (const { bank, pcrs } of selection) {
    const hash = hashByName(bank);
    if (hash === undefined) throw new EdgewardError("EW_ERR_TPM_PCR_SELECTION", { detail: `bank ${bank}` });
    const size = Math.max(3, Math.ceil((Math.max(-1, ...pcrs) + 1) / 8));
    const bits = new Uint8Array(size);
    for (const p of pcrs) bits[p >> 3] = (bits[p >> 3] ?? 0) | (1 << (p & 7));
    w.u16(hash.alg).u8(size).bytes(bits);
  }
  return w;
}

/** Marshals a selection on its own. */
export function marshalPcrSelection(selection: PcrSelection): Uint8Array {
  return writePcrSelection(new TpmWriter(), selection).finish();
}

/**
 * Parses the tpm2-tools selection syntax: `7,16` (sha256), `sha256:7,16`, `sha1:0,1+sha256:0,1`; `all` is not
 * accepted (a policy over every PCR breaks on every update). Throws EW_ERR_TPM_PCR_SELECTION.
 */
export function parsePcrSelectionText(text: string, defaultBank: PcrBank = "sha256"): PcrSelection {
  const banks: PcrBankSelection[] = [];
  for (const part of text.trim().split("+")) {
    const colon = part.indexOf(":");
    const bankName = colon < 0 ? defaultBank : part.slice(0, colon).trim().toLowerCase();
    const list = colon < 0 ? part : part.slice(colon + 1);
    const hash = hashByName(bankName);
    if (hash === undefined) throw new EdgewardError("EW_ERR_TPM_PCR_SELECTION", { detail: `unknown bank ${bankName}` });
    const pcrs = new Set<number>();
    for (const item of list.split(",")) {
      const t = item.trim();
      if (!/^(0|[1-9][0-9]?)$/.test(t) || Number(t) >= PCR_COUNT)
        throw new EdgewardError("EW_ERR_TPM_PCR_SELECTION", { detail: `PCR "${t}"` });
      pcrs.add(Number(t));
    }
    if (banks.some((b) => b.bank === hash.name))
      throw new EdgewardError("EW_ERR_TPM_PCR_SELECTION", { detail: `bank ${hash.name} twice` });
    banks.push({ bank: hash.name, pcrs: [...pcrs].sort((a, b) => a - b) });
  }
  return banks;
}

/** The tpm2-tools text form of a selection (`sha256:7,16`). */
export function formatPcrSelection(selection: PcrSelection): string {
  return selection.map((b) => `${b.bank}:${b.pcrs.join(",")}`).join("+");
}

/** Total number of PCRs selected across banks. */
export function countSelected(selection: PcrSelection): number {
  return selection.reduce((n, b) => n + b.pcrs.length, 0);
}
