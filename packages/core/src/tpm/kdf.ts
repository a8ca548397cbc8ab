/**
 * The TPM key derivation functions (TPM 2.0 Part 1 §11.4.10): KDFa, SP800-108 counter mode with HMAC, and KDFe,
 * the SP800-56A concatenation KDF. Labels are used with their terminating zero octet, as the TPM does.
 */
import { createHash, createHmac } from "node:crypto";
import { concat, TpmWriter } from "./marshal.ts";

/** KDFa(hash, key, label, contextU, contextV, bits) (Part 1 §11.4.10.2). `bits` must be a multiple of 8. */
export function kdfa(
  hash: string,
  key: Uint8Array,
  label: string,
  contextU: Uint8Array,
  contextV: Uint8Array,
  bits: number,
): Uint8Array {
  const bytes = bits / 8;
  const fixed = concat([labelBytes(label), contextU, contextV, new TpmWriter().u32(bits).finish()]);
  const out: Uint8Array[] = [];
  let have = 0;
  for (let i = 1; have < bytes; i++) {
    const block = createHmac(hash, key).update(new TpmWriter().u32(i).finish()).update(fixed).digest();
    out.push(block);
    have += block.length;
  }
  return concat(out).slice(0, bytes);
}

/** KDFe(hash, Z, use, partyUInfo, partyVInfo, bits) (Part 1 §11.4.10.3). `bits` must be a multiple of 8. */
export function kdfe(
  hash: string,
  z: Uint8Array,
  use: string,
  partyU: Uint8Array,
  partyV: Uint8Array,
  bits: number,
): Uint8Array {
  const bytes = bits / 8;
  const fixed = concat([z, labelBytes(use), partyU, partyV]);
  const out: Uint8Array[] = [];
  let have = 0;
  for (let i = 1; have < bytes; i++) {
    const block = createHash(hash).update(new TpmWriter().u32(i).finish()).update(fixed).digest();
    out.push(block);
    have += block.length;
  }
  return concat(out).slice(0, bytes);
}

/** A label as the TPM uses it: its octets followed by one zero octet (Part 1 §11.4.10.2, note on Label). */
export function labelBytes(label: string): Uint8Array {
  const b = new TextEncoder().encode(label);
  return b.length > 0 && b[b.length - 1] === 0 ? b : concat([b, new Uint8Array(1)]);
}
