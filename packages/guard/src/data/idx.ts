import { gunzipSync } from "node:zlib";
import { EdgewardError } from "@edgeward/core";

/** An unsigned-byte IDX array: its dimensions and its bytes in row-major order. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/** The most bytes an IDX file may decompress to (Fashion-MNIST's training images are 47 MB). */
export const IDX_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Parses an IDX file (the MNIST format: two zero bytes, a type byte, a dimension count, then big-endian 32-bit
 * dimensions), gzip-compressed or not. Only unsigned bytes (type 0x08) are accepted; a header that promises more
 * or fewer bytes than follow fails with EW_ERR_GUARD_DATA.
 */
export function parseIdx(bytes: Uint8Array): IdxArray {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzip(bytes) : bytes;
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0) throw dataError("not an IDX file (bad magic)");
  if (raw[2] !== 0x08) throw dataError(`IDX type 0x${(raw[2] ?? 0).toString(16)} is not unsigned bytes`);
  const ndim = raw[3] ?? 0;
  if (ndim < 1 || ndim > 4 || raw.length < 4 + 4 * ndim) throw dataError("IDX header is truncated");
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const offset = 4 + 4 * ndim;
  if (raw.length - offset !== count) {
    throw dataError(`IDX header promises ${count} bytes, file has ${raw.length - offset}`);
  }
  return { dims, data: raw.subarray(offset) };
}

function gunzip(bytes: Uint8Array): Uint8Array {
  try {
    return gunzipSync(bytes, { maxOutputLength: IDX_MAX_BYTES });
  } catch (cause) {
    throw new EdgewardError("EW_ERR_GUARD_DATA", { detail: "gzip stream is corrupt or too large", cause });
  }
}

function dataError(detail: string): EdgewardError {
  return new EdgewardError("EW_ERR_GUARD_DATA", { detail });
}
