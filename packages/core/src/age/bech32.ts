/**
 * Bech32 (BIP-173) without the 90-character limit, as age uses it for keys (c2sp.org/age §Conventions:
 * "without length limits on the data part"; all-upper or all-lower case, checksum over the lower case).
 */

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

/** A decoded Bech32 string: its human-readable part (lower case) and its data as bytes. */
export interface Bech32Decoded {
  readonly hrp: string;
  readonly bytes: Uint8Array;
}

/** Encodes `bytes` under `hrp` (lower-case output; callers upper-case secret keys as age does). */
export function bech32Encode(hrp: string, bytes: Uint8Array): string {
  const lower = hrp.toLowerCase();
  const words = convertBits(bytes, 8, 5, true);
  if (words === null) throw new RangeError("unreachable: padding is allowed when encoding");
  const checksum = createChecksum(lower, words);
  let out = `${lower}1`;
  for (const w of [...words, ...checksum]) out += CHARSET.charAt(w);
  return out;
}

/**
 * Decodes a Bech32 string, or returns null when it is mixed case, has characters outside the charset, a
 * bad checksum, or data that is not a whole number of bytes with zero padding (BIP-173 §Bech32).
 */
export function bech32Decode(text: string): Bech32Decoded | null {
  const decoded = bech32DecodeWords(text);
  if (decoded === null) return null;
  const bytes = convertBits(decoded.words, 5, 8, false);
  return bytes === null ? null : { hrp: decoded.hrp, bytes: Uint8Array.from(bytes) };
}

/** The checksum-level decoding of BIP-173: HRP (lower case) and 5-bit data words, or null when invalid. */
export function bech32DecodeWords(text: string): { hrp: string; words: number[] } | null {
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) return null;
  const lower = text.toLowerCase();
  const sep = lower.lastIndexOf("1");
  if (sep < 1 || sep + 7 > lower.length) return null;
  const hrp = lower.slice(0, sep);
  for (let i = 0; i < hrp.length; i++) {
    const c = hrp.charCodeAt(i);
    if (c < 33 || c > 126) return null;
  }
  const values: number[] = [];
  for (const ch of lower.slice(sep + 1)) {
    const v = CHARSET.indexOf(ch);
    if (v < 0) return null;
    values.push(v);
  }
  if (polymod([...expandHrp(hrp), ...values]) !== 1) return null;
  return { hrp, words: values.slice(0, -6) };
}

function polymod(values: readonly number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i] ?? 0;
  }
  return chk;
}

function expandHrp(hrp: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >>> 5);
  out.push(0);
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31);
  return out;
}

function createChecksum(hrp: string, words: readonly number[]): number[] {
  const mod = polymod([...expandHrp(hrp), ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  const out: number[] = [];
  for (let i = 0; i < 6; i++) out.push((mod >>> (5 * (5 - i))) & 31);
  return out;
}

/** Regroups bits (BIP-173 reference `convertbits`); null when unpadded input leaves non-zero or too many bits. */
function convertBits(data: Iterable<number>, from: number, to: number, pad: boolean): number[] | null {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const maxv = (1 << to) - 1;
  for (const value of data) {
    acc = ((acc << from) | value) & 0xffffff;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >>> bits) & maxv);
    }
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & maxv);
  } else if (bits >= from || ((acc << (to - bits)) & maxv) !== 0) {
    return null;
  }
  return out;
}
