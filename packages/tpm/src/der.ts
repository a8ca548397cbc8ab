/**
 * The little DER (ITU-T X.690) the TPM key file needs: SEQUENCE, context tags, OBJECT IDENTIFIER, BOOLEAN, INTEGER,
 * OCTET STRING. Decoding is strict (definite lengths, minimal length encoding) and throws EW_ERR_TPM_KEY_FILE.
 */
import { EdgewardError } from "@edgeward/core";

/** One decoded TLV. */
export interface Der {
  readonly tag: number;
  readonly value: Uint8Array;
}

export const TAG = { BOOLEAN: 0x01, INTEGER: 0x02, OCTET_STRING: 0x04, OID: 0x06, SEQUENCE: 0x30 } as const;

/** Encodes a TLV. */
export function tlv(tag: number, value: Uint8Array): Uint8Array {
  const n = value.length;
  const len =
    n < 0x80
      ? [n]
      : n < 0x100
        ? [0x81, n]
        : n < 0x10000
          ? [0x82, n >> 8, n & 0xff]
          : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  out.set(value, 1 + len.length);
  return out;
}

/** A SEQUENCE (or constructed context tag) of already encoded elements. */
export function constructed(tag: number, parts: readonly Uint8Array[]): Uint8Array {
  return tlv(tag, Buffer.concat(parts));
}

/** A non-negative INTEGER. */
export function integer(n: number): Uint8Array {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return tlv(TAG.INTEGER, Uint8Array.from(bytes));
}

/** An OBJECT IDENTIFIER from dotted text. */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map(Number);
  const body: number[] = [40 * (arcs[0] ?? 0) + (arcs[1] ?? 0)];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    body.push(...chunk);
  }
  return tlv(TAG.OID, Uint8Array.from(body));
}

/** Decodes every TLV in `bytes` (the contents of a constructed value). */
export function decodeAll(bytes: Uint8Array): Der[] {
  const out: Der[] = [];
  let o = 0;
  while (o < bytes.length) {
    const { der, next } = decodeOne(bytes, o);
    out.push(der);
    o = next;
  }
  return out;
}

/** Decodes exactly one TLV filling `bytes`. */
export function decode(bytes: Uint8Array): Der {
  const { der, next } = decodeOne(bytes, 0);
  if (next !== bytes.length) fail("trailing bytes after the DER value");
  return der;
}

/** Reads a non-negative INTEGER that fits in 53 bits. */
export function readInteger(der: Der): number {
  if (der.tag !== TAG.INTEGER || der.value.length === 0 || der.value.length > 7 || (der.value[0] ?? 0) & 0x80)
    fail("expected a small non-negative INTEGER");
  let n = 0;
  for (const b of der.value) n = n * 256 + b;
  return n;
}

/** Reads an OBJECT IDENTIFIER as dotted text. */
export function readOid(der: Der): string {
  if (der.tag !== TAG.OID || der.value.length === 0) fail("expected an OBJECT IDENTIFIER");
  const first = der.value[0] ?? 0;
  const arcs = [Math.min(2, Math.floor(first / 40)), first - 40 * Math.min(2, Math.floor(first / 40))];
  let v = 0;
  for (const b of der.value.subarray(1)) {
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0;
    }
  }
  return arcs.join(".");
}

function decodeOne(bytes: Uint8Array, at: number): { der: Der; next: number } {
  const tag = bytes[at];
  const first = bytes[at + 1];
  if (tag === undefined || first === undefined) fail("truncated DER");
  if ((tag & 0x1f) === 0x1f) fail("high tag numbers are not used in key files");
  let len = first;
  let o = at + 2;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 3) fail("unsupported DER length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (bytes[o + i] ?? fail("truncated DER length"));
    if (len < 0x80 || (n > 1 && len < 1 << (8 * (n - 1)))) fail("non-minimal DER length");
    o += n;
  }
  if (o + len > bytes.length) fail("DER value runs past the end");
  return { der: { tag, value: bytes.subarray(o, o + len) }, next: o + len };
}

function fail(detail: string): never {
  throw new EdgewardError("EW_ERR_TPM_KEY_FILE", { detail });
}
