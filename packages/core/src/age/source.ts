/**
 * Small adapters between the inputs the age API accepts (FileHandle, byte arrays, async iterables of bytes)
 * and the streams the header reader, the armor and the payload engine consume.
 */
import type { FileHandle } from "node:fs/promises";
import { EdgewardError } from "../errors/index.ts";

/** A source of bytes: chunks of any size, sync or async. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

const READ_SIZE = 1 << 20;

/** Reads `handle` from `start` to its end, positionally, in 1 MiB chunks (the handle's own position is unused). */
export async function* handleChunks(handle: FileHandle, start = 0): AsyncGenerator<Uint8Array, void, undefined> {
  let position = start;
  for (;;) {
    const buffer = Buffer.allocUnsafe(READ_SIZE);
    const { bytesRead } = await readAt(handle, buffer, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/** Reads up to `length` bytes at `position`; fewer only at the end of the file. */
export async function readPrefix(handle: FileHandle, length: number, position = 0): Promise<Uint8Array> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await readAt(handle, buffer.subarray(done), position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}

async function readAt(handle: FileHandle, buffer: Buffer, position: number): Promise<{ bytesRead: number }> {
  try {
    return await handle.read(buffer, 0, buffer.length, position);
  } catch (err) {
    throw new EdgewardError("EW_ERR_IO", { detail: "reading the sealed file", cause: err });
  }
}

/** An async iterator over `source` that checks every chunk is bytes (a hostile or mistaken caller gets EW_ERR_USAGE). */
export async function* checkedChunks(source: ByteSource): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const chunk of source as AsyncIterable<unknown>) {
    if (!(chunk instanceof Uint8Array)) {
      throw new EdgewardError("EW_ERR_USAGE", { detail: "a byte source yielded something other than a Uint8Array" });
    }
    yield chunk;
  }
}

/** Yields `head` (if not empty) and then the rest of `iterator`, closing the iterator if the consumer stops early. */
export async function* resume(
  head: Uint8Array,
  iterator: AsyncIterator<Uint8Array, void, undefined>,
): AsyncGenerator<Uint8Array, void, undefined> {
  let finished = false;
  try {
    if (head.length > 0) yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!finished) await iterator.return?.();
  }
}

/** Writes all of `data` to `handle` at `position`; any failure (or a write of 0 bytes) is EW_ERR_IO naming `what`. */
export async function writeAllAt(handle: FileHandle, data: Uint8Array, position: number, what: string): Promise<void> {
  try {
    for (let done = 0; done < data.length; ) {
      const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
      if (bytesWritten === 0) throw new Error("write returned 0 bytes");
      done += bytesWritten;
    }
  } catch (err) {
    throw new EdgewardError("EW_ERR_IO", { detail: what, cause: err });
  }
}
