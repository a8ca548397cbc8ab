import { EdgewardError } from "@edgeward/core/errors";

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const MAX_DEPTH = 32;

/**
 * Canonical JSON text of `value` (RFC 8785, JSON Canonicalization Scheme): object members sorted by the UTF-16
 * code units of their names (§3.2.3), no whitespace, strings and numbers serialised as ECMAScript's JSON.stringify
 * does (§3.2.2). Rejects what has no canonical form: non-finite numbers, lone surrogates (§3.2.2.2), non-plain
 * values, and nesting deeper than 32 (EW_ERR_LOG_EVENT_INVALID).
 */
export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

function write(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw invalid("nested too deeply");
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw invalid("a number is not finite");
      return JSON.stringify(value);
    case "string":
      if (!value.isWellFormed()) throw invalid("a string has a lone surrogate");
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v) => write(v, depth + 1)).join(",")}]`;
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw invalid("a value is not a plain object");
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      return `{${keys
        .map((k) => {
          if (!k.isWellFormed()) throw invalid("a member name has a lone surrogate");
          return `${JSON.stringify(k)}:${write(obj[k], depth + 1)}`;
        })
        .join(",")}}`;
    }
    default:
      throw invalid(`a value of type ${typeof value} is not JSON`);
  }
}

function invalid(detail: string): EdgewardError {
  return new EdgewardError("EW_ERR_LOG_EVENT_INVALID", { detail });
}
