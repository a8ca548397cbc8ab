import { ioError } from "@edgeward/io/errno";

/** Prints `value` as one line of JSON on stdout (for `--json`): bigints as decimal strings, bytes as base64. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, jsonReplacer)}\n`);
}

/** Prints human-readable lines on stdout. */
export function printLines(...lines: string[]): void {
  process.stdout.write(`${lines.join("\n")}\n`);
}

/**
 * Writes bytes to stdout and resolves once they were handed to the OS; a reader that went away (`| head -c 10`)
 * is EW_ERR_IO_PIPE_CLOSED, a full disk behind a redirect EW_ERR_IO_NO_SPACE.
 */
export function writeStdout(chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(chunk, (err) => (err ? reject(ioError(err, "writing to standard output")) : resolve())),
  );
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  return value;
}
