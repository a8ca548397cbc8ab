import { EdgewardError, type ErrorCode } from "../errors/index.ts";

/**
 * Runtime guards for untrusted JSON (after tuf-js `utils/guard.ts`): each returns the narrowed value or throws an
 * EdgewardError with the caller's code and the JSON path in the detail, so no malformed field gets past.
 */

/** A plain JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

/** Returns `value` as an object, or throws `code`. */
export function asObject(value: unknown, code: ErrorCode, path: string): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw fail(code, `${path} is not an object`);
  return value as JsonObject;
}

/** Returns `value` as an array, or throws `code`. */
export function asArray(value: unknown, code: ErrorCode, path: string): unknown[] {
  if (!Array.isArray(value)) throw fail(code, `${path} is not an array`);
  return value;
}

/** Returns `value` as a string, or throws `code`. */
export function asString(value: unknown, code: ErrorCode, path: string): string {
  if (typeof value !== "string") throw fail(code, `${path} is not a string`);
  return value;
}

/** Returns `value` as a boolean, or throws `code`. */
export function asBoolean(value: unknown, code: ErrorCode, path: string): boolean {
  if (typeof value !== "boolean") throw fail(code, `${path} is not a boolean`);
  return value;
}

/** Returns `value` as a positive safe integer, or throws `code`. */
export function asPositiveInteger(value: unknown, code: ErrorCode, path: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0)
    throw fail(code, `${path} is not a positive integer`);
  return value;
}

/** Own property `key` of `obj` (never one inherited from Object.prototype, such as `constructor`). */
export function field(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/**
 * Decodes canonical standard base64 with padding (RFC 4648 §4), as the sigstore bundle's protobuf JSON writes
 * bytes. Node's decoder skips stray characters, so the text must also re-encode to itself: one byte string has
 * exactly one accepted spelling.
 */
export function decodeBase64(value: unknown, code: ErrorCode, path: string): Buffer {
  const text = asString(value, code, path);
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw fail(code, `${path} is not base64`);
  const bytes = Buffer.from(text, "base64");
  if (bytes.toString("base64") !== text) throw fail(code, `${path} is not canonical base64`);
  return bytes;
}

/** Returns `value` as a lowercase hex SHA-256 digest (64 characters), or throws `code`. */
export function asSha256Hex(value: unknown, code: ErrorCode, path: string): string {
  const text = asString(value, code, path);
  if (!/^[0-9a-f]{64}$/.test(text)) throw fail(code, `${path} is not a lowercase hex SHA-256 digest`);
  return text;
}

function fail(code: ErrorCode, detail: string): EdgewardError {
  return new EdgewardError(code, { detail });
}
