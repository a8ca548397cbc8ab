import { EdgewardError, type ErrorCode } from "@edgeward/core/errors";
import type { JsonValue } from "./canonical-json.ts";

const MAX_DEPTH = 32;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const DECIMAL = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

/**
 * Parses JSON text (RFC 8259) into a value that means exactly what the text says, or refuses it. JSON.parse
 * keeps the last of two members with one name and rounds numbers to the nearest double, so a logged event could
 * differ from what its writer sent; here a repeated member name (RFC 8259 §4: names SHOULD be unique) is
 * EW_ERR_LOG_EVENT_DUPLICATE_KEY, and a number whose canonical form (RFC 8785 §3.2.2.3) is another decimal value
 * than the text (an integer beyond 2^53, more digits than a double holds, out of range) is EW_ERR_LOG_EVENT_NUMBER.
 * Anything else that is not JSON, or nested deeper than 32, is EW_ERR_LOG_EVENT_INVALID.
 */
export function parseStrictJson(text: string): JsonValue {
  const p = new Parser(text);
  p.space();
  const value = p.value(0);
  p.space();
  if (p.at < text.length) throw p.fail("text after the JSON value");
  return value;
}

class Parser {
  at = 0;
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) throw this.fail("nested too deeply");
    const c = this.#text[this.at];
    if (c === "{") return this.#object(depth);
    if (c === "[") return this.#array(depth);
    if (c === '"') return this.#string();
    for (const [word, v] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const)
      if (this.#text.startsWith(word, this.at)) {
        this.at += word.length;
        return v;
      }
    return this.#number();
  }

  space(): void {
    while (/[ \t\n\r]/.test(this.#text[this.at] ?? "")) this.at++;
  }

  fail(detail: string, code: ErrorCode = "EW_ERR_LOG_EVENT_INVALID"): EdgewardError {
    return new EdgewardError(code, { detail: `${detail} at character ${this.at}` });
  }

  #object(depth: number): JsonValue {
    this.at++;
    const obj: { [key: string]: JsonValue } = {};
    const seen = new Set<string>();
    this.space();
    if (this.#eat("}")) return obj;
    for (;;) {
      this.space();
      if (this.#text[this.at] !== '"') throw this.fail("a member name is not a string");
      const key = this.#string();
      if (seen.has(key)) throw this.fail(`member "${key}" appears twice`, "EW_ERR_LOG_EVENT_DUPLICATE_KEY");
      seen.add(key);
      this.space();
      if (!this.#eat(":")) throw this.fail("':' expected");
      this.space();
      // defineProperty, so a member named __proto__ is a member and not the object's prototype.
      Object.defineProperty(obj, key, { value: this.value(depth + 1), enumerable: true, writable: true });
      this.space();
      if (this.#eat("}")) return obj;
      if (!this.#eat(",")) throw this.fail("',' or '}' expected");
    }
  }

  #array(depth: number): JsonValue {
    this.at++;
    const arr: JsonValue[] = [];
    this.space();
    if (this.#eat("]")) return arr;
    for (;;) {
      this.space();
      arr.push(this.value(depth + 1));
      this.space();
      if (this.#eat("]")) return arr;
      if (!this.#eat(",")) throw this.fail("',' or ']' expected");
    }
  }

  /** A string token; JSON.parse checks the escapes and refuses raw control characters (RFC 8259 §7). */
  #string(): string {
    const start = this.at++;
    for (;;) {
      const c = this.#text[this.at];
      if (c === undefined) throw this.fail("unterminated string");
      if (c === "\\") this.at += 2;
      else {
        this.at++;
        if (c === '"') break;
      }
    }
    try {
      return JSON.parse(this.#text.slice(start, this.at)) as string;
    } catch (err) {
      throw new EdgewardError("EW_ERR_LOG_EVENT_INVALID", { detail: `bad string at character ${start}`, cause: err });
    }
  }

  #number(): number {
    NUMBER.lastIndex = this.at;
    const m = NUMBER.exec(this.#text);
    if (m === null) throw this.fail("not a JSON value");
    this.at += m[0].length;
    const n = Number(m[0]);
    if (!Number.isFinite(n) || decimal(m[0]) !== decimal(JSON.stringify(n)))
      throw this.fail(`the number ${m[0].slice(0, 40)} cannot be kept exactly`, "EW_ERR_LOG_EVENT_NUMBER");
    return n;
  }

  #eat(c: string): boolean {
    if (this.#text[this.at] !== c) return false;
    this.at++;
    return true;
  }
}

/** A decimal literal's value as "sign digits e exponent" with no leading or trailing zeros (zero is "0"). */
function decimal(text: string): string {
  const m = DECIMAL.exec(text)!;
  let digits = `${m[2]}${m[3] ?? ""}`.replace(/^0+/, "");
  if (digits === "") return "0";
  let exp = Number(m[4] ?? 0) - (m[3]?.length ?? 0);
  const trimmed = digits.replace(/0+$/, "");
  exp += digits.length - trimmed.length;
  digits = trimmed;
  return `${m[1]}${digits}e${exp}`;
}
