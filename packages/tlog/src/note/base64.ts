import { EdgewardError, type ErrorCode } from "@edgeward/core/errors";

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes standard, padded base64 (RFC 4648 §4, as the C2SP specs require) and refuses anything else: other
 * alphabets, missing padding, whitespace, or non-canonical trailing bits (so one value has exactly one encoding).
 */
export function decodeBase64(text: string, code: ErrorCode, what: string): Uint8Array {
  if (!STD_BASE64.test(text)) throw new EdgewardError(code, { detail: `${what} is not standard base64` });
  const bytes = Buffer.from(text, "base64");
  if (bytes.toString("base64") !== text) throw new EdgewardError(code, { detail: `${what} is not canonical base64` });
  return new Uint8Array(bytes);
}

/** Standard padded base64 (RFC 4648 §4). */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
