import { EdgewardError } from "@edgeward/core/errors";
import { MAX_EVENT_BYTES } from "./event.ts";

/** One line of a JSON Lines stream, or the reason the stream stopped at it. */
export type EventLine =
  | { readonly number: number; readonly text: string }
  | { readonly number: number; readonly error: EdgewardError };

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines (JSON Lines: UTF-8, `\n`, an optional `\r` before it) and enforces the size
 * limit while reading: no more than `maxBytes` of a line is ever held, so a line of 55 MB costs no more memory
 * than one of 64 KiB. A line over the limit (EW_ERR_INPUT_TOO_LARGE) or not UTF-8 (EW_ERR_LOG_EVENT_INVALID) is
 * yielded as an error, and reading stops there.
 */
export async function* readEventLines(
  input: AsyncIterable<Uint8Array | string>,
  maxBytes: number = MAX_EVENT_BYTES,
): AsyncGenerator<EventLine> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let parts: Buffer[] = [];
  let held = 0;
  let number = 1;
  const finish = (): EventLine => {
    let line = Buffer.concat(parts, held);
    if (line.at(-1) === 0x0d) line = line.subarray(0, -1);
    parts = [];
    held = 0;
    const at = number++;
    if (line.length > maxBytes) return { number: at, error: tooLarge(maxBytes) };
    try {
      return { number: at, text: decoder.decode(line) };
    } catch (err) {
      return { number: at, error: new EdgewardError("EW_ERR_LOG_EVENT_INVALID", { detail: "not UTF-8", cause: err }) };
    }
  };
  for await (const chunk of input) {
    let bytes =
      typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (bytes.length > 0) {
      const nl = bytes.indexOf(NEWLINE);
      const piece = nl < 0 ? bytes : bytes.subarray(0, nl);
      if (held + piece.length > maxBytes + 1) {
        // +1 leaves room for the `\r` of a `\r\n` line of exactly maxBytes.
        yield { number, error: tooLarge(maxBytes) };
        return;
      }
      // Copy, so a held line does not keep the whole chunk it came from alive.
      parts.push(Buffer.from(piece));
      held += piece.length;
      if (nl < 0) break;
      const line = finish();
      yield line;
      if ("error" in line) return;
      bytes = bytes.subarray(nl + 1);
    }
  }
  if (held > 0) yield finish();
}

function tooLarge(maxBytes: number): EdgewardError {
  return new EdgewardError("EW_ERR_INPUT_TOO_LARGE", { detail: `the line is longer than ${maxBytes} bytes` });
}
