/**
 * The TPM key file: a "TSS2 PRIVATE KEY" PEM (draft-bottomley-tpm2-keys, "ASN.1 Specification for TPM 2.0 Key
 * Files", the format of the OpenSSL TPM 2.0 provider and engine), preceded by `#` comment lines an age identity
 * file parser skips. It holds the wrapped key blobs and the PCR policy; it is useless on any other TPM.
 *
 *   TPMKey ::= SEQUENCE {
 *     type       OBJECT IDENTIFIER,                      -- id-loadablekey 2.23.133.10.1.3
 *     emptyAuth  [0] EXPLICIT BOOLEAN OPTIONAL,          -- TRUE: no password
 *     policy     [1] EXPLICIT SEQUENCE OF TPMPolicy OPTIONAL,
 *     parent     INTEGER,                                -- TPM_RH_OWNER: the H-2 ECC P-256 storage primary
 *     pubkey     OCTET STRING,                           -- TPM2B_PUBLIC
 *     privkey    OCTET STRING }                          -- TPM2B_PRIVATE
 *   TPMPolicy ::= SEQUENCE { commandCode [0] EXPLICIT INTEGER, commandPolicy [1] EXPLICIT OCTET STRING }
 *
 * The one policy command is TPM2_PolicyPCR with its parameters (pcrDigest ‖ TPML_PCR_SELECTION). A device without a
 * TPM writes an "EDGEWARD SOFTWARE KEY" instead, which says it is not hardware-backed.
 */
import {
  EdgewardError,
  formatPcrSelection,
  parsePcrSelectionText,
  parseTpm2bPublic,
  policyPcrFromDigest,
  readPcrSelection,
  TpmReader,
  TpmWriter,
  TPM_CC,
  TPM_RH,
  writePcrSelection,
} from "@edgeward/core";
import { constructed, decode, decodeAll, integer, oid, readInteger, readOid, TAG, tlv, type Der } from "./der.ts";
import type { WrappedObject } from "./device.ts";

const LOADABLE_KEY = "2.23.133.10.1.3";
const TSS2_LABEL = "TSS2 PRIVATE KEY";
const SOFTWARE_LABEL = "EDGEWARD SOFTWARE KEY";

/** True when `text` is a key file this package reads (TPM or software keystore). */
export function isTpmKeyFile(text: string): boolean {
  return text.includes(`-----BEGIN ${TSS2_LABEL}-----`) || text.includes(`-----BEGIN ${SOFTWARE_LABEL}-----`);
}

/** Writes a key file for a wrapped decryption key; `recipient` goes in a comment for people, never read back. */
export function formatKeyFile(key: WrappedObject, recipient: string, created = new Date()): string {
  const pcrs = formatPcrSelection(key.pcrs);
  const header =
    key.kind === "tpm2"
      ? `# Edgeward TPM key: P-256, usable only on the TPM that made it, while PCRs ${pcrs} hold`
      : `# Edgeward SOFTWARE key (NOT hardware-backed): P-256, usable only with this device's keystore, PCRs ${pcrs}`;
  const lines = [header, `# created: ${created.toISOString()}`, `# recipient: ${recipient}`];
  const body = key.kind === "tpm2" ? encodeTss2(key) : encodeSoftware(key);
  const label = key.kind === "tpm2" ? TSS2_LABEL : SOFTWARE_LABEL;
  const b64 = Buffer.from(body).toString("base64").replace(/.{64}/g, "$&\n").trimEnd();
  return `${lines.join("\n")}\n-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Parses a key file; EW_ERR_TPM_KEY_FILE for anything malformed or inconsistent. */
export function parseKeyFile(text: string): WrappedObject {
  const tss2 = pemBody(text, TSS2_LABEL);
  if (tss2 !== undefined) return decodeTss2(tss2);
  const software = pemBody(text, SOFTWARE_LABEL);
  if (software !== undefined) return decodeSoftware(software);
  throw new EdgewardError("EW_ERR_TPM_KEY_FILE", { detail: "no TSS2 PRIVATE KEY or EDGEWARD SOFTWARE KEY block" });
}

function encodeTss2(key: WrappedObject): Uint8Array {
  // draft-bottomley-tpm2-keys §"TPMPolicy": the command's parameters after its handles.
  const params = writePcrSelection(new TpmWriter().tpm2b(key.pcrDigest), key.pcrs).finish();
  const policy = constructed(TAG.SEQUENCE, [
    constructed(0xa0, [integer(TPM_CC.PolicyPCR)]),
    constructed(0xa1, [tlv(TAG.OCTET_STRING, params)]),
  ]);
  return constructed(TAG.SEQUENCE, [
    oid(LOADABLE_KEY),
    constructed(0xa0, [tlv(TAG.BOOLEAN, Uint8Array.of(0xff))]),
    constructed(0xa1, [constructed(TAG.SEQUENCE, [policy])]),
    integer(TPM_RH.OWNER),
    tlv(TAG.OCTET_STRING, key.public),
    tlv(TAG.OCTET_STRING, key.private),
  ]);
}

function decodeTss2(der: Uint8Array): WrappedObject {
  const top = decode(der);
  if (top.tag !== TAG.SEQUENCE) bad("TPMKey is not a SEQUENCE");
  const fields = decodeAll(top.value);
  let i = 0;
  const next = (): Der => fields[i++] ?? bad("TPMKey is missing fields");
  if (readOid(next()) !== LOADABLE_KEY) bad("not a loadable key (id-loadablekey)");
  let policies: Der[] = [];
  let emptyAuth = false;
  // Optional context-tagged fields: [0] emptyAuth, [1] policy; [2]-[5] (secret, authPolicy, …) are not used here.
  while (fields[i] !== undefined && ((fields[i]?.tag ?? 0) & 0xe0) === 0xa0) {
    const f = next();
    const inner = decodeAll(f.value);
    if (f.tag === 0xa0) emptyAuth = inner[0]?.tag === TAG.BOOLEAN && inner[0].value[0] === 0xff;
    else if (f.tag === 0xa1 && inner[0]?.tag === TAG.SEQUENCE) policies = decodeAll(inner[0].value);
    else bad(`unsupported optional field [${f.tag & 0x1f}]`);
  }
  if (!emptyAuth) bad("keys with a password are not supported");
  if (readInteger(next()) !== TPM_RH.OWNER) bad("parent must be TPM_RH_OWNER (the H-2 storage primary)");
  const pub = octets(next());
  const priv = octets(next());
  if (i !== fields.length) bad("trailing fields");
  if (policies.length !== 1) bad("expected exactly one policy command (TPM2_PolicyPCR)");
  const [cc, params] = decodePolicy(policies[0] as Der);
  if (cc !== TPM_CC.PolicyPCR) bad(`policy command 0x${cc.toString(16)} is not TPM2_PolicyPCR`);
  const r = new TpmReader(params, "TPM2_PolicyPCR parameters");
  const pcrDigest = r.tpm2b(64, "pcrDigest");
  const pcrs = readPcrSelection(r);
  r.end();
  const publicArea = parseTpm2bPublic(pub);
  return checked({ kind: "tpm2", public: pub, private: priv, pcrs, pcrDigest, policyDigest: publicArea.authPolicy });
}

function decodePolicy(der: Der): [number, Uint8Array] {
  if (der.tag !== TAG.SEQUENCE) bad("TPMPolicy is not a SEQUENCE");
  const [a, b] = decodeAll(der.value);
  if (a?.tag !== 0xa0 || b?.tag !== 0xa1) bad("TPMPolicy fields");
  return [readInteger(decode(a.value)), octets(decode(b.value))];
}

/** The policy the file declares must be the policy the key carries, or the file was damaged or altered. */
function checked(key: WrappedObject): WrappedObject {
  if (!Buffer.from(policyPcrFromDigest(key.pcrs, key.pcrDigest)).equals(key.policyDigest))
    bad("the PCR policy does not match the key's authPolicy");
  return key;
}

function encodeSoftware(key: WrappedObject): Uint8Array {
  const doc = {
    v: 1,
    pcrs: formatPcrSelection(key.pcrs),
    pcrDigest: Buffer.from(key.pcrDigest).toString("hex"),
    policyDigest: Buffer.from(key.policyDigest).toString("hex"),
    public: Buffer.from(key.public).toString("base64"),
    private: Buffer.from(key.private).toString("base64"),
  };
  return new TextEncoder().encode(JSON.stringify(doc));
}

function decodeSoftware(body: Uint8Array): WrappedObject {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (err) {
    throw new EdgewardError("EW_ERR_TPM_KEY_FILE", { detail: "software key is not JSON", cause: err });
  }
  const d = doc as Record<string, unknown>;
  const str = (k: string): string => (typeof d[k] === "string" ? d[k] : bad(`software key field ${k}`));
  if (d["v"] !== 1) bad("software key version");
  return {
    kind: "software",
    pcrs: parsePcrSelectionText(str("pcrs")),
    pcrDigest: Buffer.from(str("pcrDigest"), "hex"),
    policyDigest: Buffer.from(str("policyDigest"), "hex"),
    public: Buffer.from(str("public"), "base64"),
    private: Buffer.from(str("private"), "base64"),
  };
}

function pemBody(text: string, label: string): Uint8Array | undefined {
  const begin = `-----BEGIN ${label}-----`;
  const start = text.indexOf(begin);
  if (start < 0) return undefined;
  const end = text.indexOf(`-----END ${label}-----`, start);
  if (end < 0) bad(`no END ${label} line`);
  const b64 = text.slice(start + begin.length, end).replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) bad("PEM body is not base64");
  return new Uint8Array(Buffer.from(b64, "base64"));
}

function octets(der: Der): Uint8Array {
  if (der.tag !== TAG.OCTET_STRING) bad("expected an OCTET STRING");
  return new Uint8Array(der.value);
}

function bad(detail: string): never {
  throw new EdgewardError("EW_ERR_TPM_KEY_FILE", { detail });
}
