/**
 * HTTP Range for target downloads (RFC 9110 §14.1–14.4), so a device resumes an interrupted download of a large
 * model. One range is served; a header naming several, or another unit, is ignored and the whole file is sent
 * (§14.2 lets a server ignore Range). A range outside the file is 416 (EW_ERR_RANGE_NOT_SATISFIABLE).
 */
import { EdgewardError } from "@edgeward/core";

/** The bytes to send: `start` to `end` inclusive, and whether that is a part (206) or the whole file (200). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
  readonly partial: boolean;
}

const SINGLE = /^bytes=(\d{0,15})-(\d{0,15})$/;

/** Resolves a Range header value against a file of `length` bytes. */
export function resolveRange(header: string | undefined, length: number): ByteRange {
  const whole = { start: 0, end: length - 1, partial: false };
  if (header === undefined) return whole;
  const match = SINGLE.exec(header.trim());
  if (match === null) return whole;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return whole;
  let start: number;
  let end: number;
  if (first === "") {
    // §14.1.2 suffix-byte-range: the last N bytes.
    const suffix = Number(last);
    if (suffix === 0) throw unsatisfiable(length);
    start = Math.max(0, length - suffix);
    end = length - 1;
  } else {
    start = Number(first);
    end = last === "" ? length - 1 : Math.min(Number(last), length - 1);
    if (last !== "" && Number(last) < start) return whole; // an invalid range-spec is ignored (§14.1.1)
  }
  if (start >= length) throw unsatisfiable(length);
  return { start, end, partial: true };
}

function unsatisfiable(length: number): EdgewardError {
  return new EdgewardError("EW_ERR_RANGE_NOT_SATISFIABLE", { detail: `the file has ${length} bytes` });
}
