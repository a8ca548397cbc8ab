import { EdgewardError } from "@edgeward/core";

/** A decoded tensor: element type, shape and data, as onnxruntime's Tensor constructor takes them. */
export interface TensorData {
  readonly type: "float32" | "float64" | "int32" | "int64" | "uint8" | "bool";
  readonly dims: readonly number[];
  readonly data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // "\x93NUMPY"
const MAX_ELEMENTS = 1 << 28;

const DTYPES: Record<string, { type: TensorData["type"]; size: number }> = {
  "<f4": { type: "float32", size: 4 },
  "<f8": { type: "float64", size: 8 },
  "<i4": { type: "int32", size: 4 },
  "<i8": { type: "int64", size: 8 },
  "|u1": { type: "uint8", size: 1 },
  "|b1": { type: "bool", size: 1 },
};

/**
 * Parses a NumPy `.npy` file (format versions 1.0–3.0, numpy.org NEP 1), little-endian, C order.
 * Untrusted input: every inconsistency is EW_ERR_INPUT_FORMAT, never a partial tensor.
 */
export function parseNpy(bytes: Uint8Array): TensorData {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) fail("not a .npy file (bad magic)");
  const major = buf[6];
  // NEP 1: version 1.0 has a 2-byte header length; 2.0 and 3.0 have 4 bytes.
  const lenSize = major === 1 ? 2 : major === 2 || major === 3 ? 4 : fail(`unsupported .npy version ${major}`);
  if (buf.length < 8 + lenSize) fail("truncated .npy header");
  const headerLen = lenSize === 2 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = 8 + lenSize;
  if (start + headerLen > buf.length) fail("truncated .npy header");
  const header = buf.subarray(start, start + headerLen).toString(major === 3 ? "utf8" : "latin1");
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail("malformed .npy header");
  if (fortran === "True") fail("Fortran-order arrays are not supported; save with np.ascontiguousarray");
  const dtype = DTYPES[descr] ?? fail(`unsupported dtype ${descr} (use float32, float64, int32, int64, uint8, bool)`);
  const dims = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : fail(`bad shape ${shapeText}`)));
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > MAX_ELEMENTS) fail(`tensor has ${count} elements, more than ${MAX_ELEMENTS}`);
  const body = buf.subarray(start + headerLen);
  if (body.length !== count * dtype.size) fail(`data is ${body.length} bytes, shape needs ${count * dtype.size}`);
  const copy = new Uint8Array(body).buffer; // aligned copy
  return { type: dtype.type, dims, data: view(dtype.type, copy) };
}

/** Parses the JSON input form: `{"name": {"type": "float32", "dims": [..], "data": [..]}, …}`. */
export function parseJsonInputs(text: string): Map<string, TensorData> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    fail("input JSON does not parse");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) fail("input JSON must be an object of tensors");
  const out = new Map<string, TensorData>();
  for (const [name, t] of Object.entries(doc)) {
    if (typeof t !== "object" || t === null) fail(`input ${name} is not a tensor object`);
    const { type, dims, data } = t as Record<string, unknown>;
    const dtype = Object.values(DTYPES).find((d) => d.type === type) ?? fail(`input ${name}: unsupported type`);
    if (!Array.isArray(dims) || !dims.every((d) => Number.isInteger(d) && (d as number) >= 0))
      fail(`input ${name}: dims must be non-negative integers`);
    const count = (dims as number[]).reduce((a, b) => a * b, 1);
    if (!Array.isArray(data) || data.length !== count || !data.every((v) => typeof v === "number"))
      fail(`input ${name}: data must be ${count} numbers`);
    const typed = view(dtype.type, new ArrayBuffer(count * dtype.size));
    data.forEach((v, i) => (typed[i] = typed instanceof BigInt64Array ? BigInt(Math.trunc(v)) : v));
    out.set(name, { type: dtype.type, dims: dims as number[], data: typed });
  }
  return out;
}

/** Encodes a float32 tensor as a `.npy` (version 1.0) file; used by the demo to write a sample input. */
export function encodeNpyFloat32(dims: readonly number[], data: Float32Array): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims.join(", ")}${dims.length === 1 ? "," : ""}), }`;
  // NEP 1: the header is padded with spaces and ends in \n so the data starts 64-byte aligned.
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const pre = Buffer.alloc(10);
  MAGIC.copy(pre);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([
    pre,
    Buffer.from(header, "latin1"),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  ]);
}

function view(type: TensorData["type"], ab: ArrayBuffer): TensorData["data"] {
  switch (type) {
    case "float32":
      return new Float32Array(ab);
    case "float64":
      return new Float64Array(ab);
    case "int32":
      return new Int32Array(ab);
    case "int64":
      return new BigInt64Array(ab);
    case "uint8":
    case "bool":
      return new Uint8Array(ab);
  }
}

function fail(detail: string): never {
  throw new EdgewardError("EW_ERR_INPUT_FORMAT", { detail });
}
