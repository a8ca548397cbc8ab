/**
 * UEFI variables as the firmware measures them into PCR 7 (TCG PC Client Platform Firmware Profile, PFP, §3.3.4.8
 * "PCR[7] – Secure Boot Policy Measurements"): an EV_EFI_VARIABLE_DRIVER_CONFIG event whose data is a
 * UEFI_VARIABLE_DATA (PFP §10.4.4) for each of SecureBoot, PK, KEK, db and dbx, and the signature databases inside
 * as EFI_SIGNATURE_LISTs (UEFI 2.10 §32.4.1).
 */
import { LeReader, guidString } from "./le-reader.ts";

/** EFI_GLOBAL_VARIABLE: SecureBoot, PK, KEK (UEFI 2.10 §3.3). */
export const EFI_GLOBAL_VARIABLE = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
/** EFI_IMAGE_SECURITY_DATABASE_GUID: db, dbx (UEFI 2.10 §32.6.1). */
export const EFI_IMAGE_SECURITY_DATABASE = "d719b2cb-3d3a-4596-a3bc-dad00e67656f";

const SIGNATURE_TYPES: Readonly<Record<string, string>> = {
  "a5c059a1-94e4-4aa7-87b5-ab155c2bf072": "x509",
  "c1c41626-504c-4092-aca9-41f936934328": "sha256",
  "3c5766e8-269c-4e34-aa14-ed776e85b3b6": "rsa2048",
  "826ca512-cf10-4ac9-b187-be01496631bd": "sha1",
};

/** A decoded UEFI_VARIABLE_DATA. */
export interface EfiVariable {
  readonly guid: string;
  readonly name: string;
  readonly data: Uint8Array;
}

/** What a signature database (PK, KEK, db, dbx) holds: counts per signature type (`x509`, `sha256`, …). */
export interface SignatureDbSummary {
  readonly lists: number;
  readonly entries: Readonly<Record<string, number>>;
}

/** Decodes a UEFI_VARIABLE_DATA; EW_ERR_EVENTLOG_PARSE/_TRUNCATED when the sizes do not add up to the data. */
export function parseEfiVariable(bytes: Uint8Array): EfiVariable {
  // PFP §10.4.4: VariableName (EFI_GUID), UnicodeNameLength (UINT64, in CHAR16), VariableDataLength (UINT64),
  // UnicodeName (CHAR16[], no terminator), VariableData.
  const r = new LeReader(bytes);
  const guid = guidString(r.bytes(16));
  const nameChars = r.u64();
  const dataLength = r.u64();
  if (nameChars > r.remaining / 2) r.fail(`UnicodeNameLength ${nameChars} is larger than the event`);
  const name = Buffer.from(r.bytes(nameChars * 2)).toString("utf16le");
  const data = r.bytes(dataLength);
  if (r.remaining !== 0) r.fail(`${r.remaining} bytes after the variable ${name}'s data`);
  return { guid, name, data };
}

/** Counts the entries of an EFI signature database (a run of EFI_SIGNATURE_LISTs, UEFI 2.10 §32.4.1). */
export function summarizeSignatureDb(bytes: Uint8Array): SignatureDbSummary {
  const r = new LeReader(bytes);
  const entries: Record<string, number> = {};
  let lists = 0;
  while (r.remaining > 0) {
    // EFI_SIGNATURE_LIST: SignatureType GUID, SignatureListSize, SignatureHeaderSize, SignatureSize (UINT32 each),
    // a header, then (ListSize − 28 − HeaderSize) / SignatureSize EFI_SIGNATURE_DATA of SignatureSize bytes.
    const type = guidString(r.bytes(16));
    const listSize = r.u32();
    const headerSize = r.u32();
    const signatureSize = r.u32();
    const body = listSize - 28 - headerSize;
    // EFI_SIGNATURE_DATA starts with a 16-byte SignatureOwner GUID, so a signature is longer than 16 bytes.
    if (listSize < 28 || body < 0 || signatureSize <= 16 || body % signatureSize !== 0)
      r.fail(`EFI_SIGNATURE_LIST of size ${listSize} with signatures of ${signatureSize} bytes`);
    r.bytes(headerSize + body);
    const kind = SIGNATURE_TYPES[type] ?? type;
    entries[kind] = (entries[kind] ?? 0) + body / signatureSize;
    lists++;
  }
  return { lists, entries };
}
