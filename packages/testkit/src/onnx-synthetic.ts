import { randomFillSync } from "node:crypto";

/**
 * Builds a synthetic ONNX model `y = MatMul(x, W)` with W of shape [n, m] float32 random weights, for tests
 * and benchmarks that need a model of a chosen size (n = m = 8192 gives a 256 MiB model). Encoded by hand as
 * an ONNX ModelProto (onnx/onnx.proto3: protobuf wire format, field numbers cited below); no ONNX tooling needed.
 */
export function syntheticMatMulModel(n: number, m: number, seed?: Uint8Array): Buffer {
  const weights = Buffer.alloc(n * m * 4);
  if (seed === undefined) {
    randomFillSync(weights);
    // Keep the weights finite: clear the exponent's top bit so no float is Inf/NaN.
    for (let i = 3; i < weights.length; i += 4) weights[i] = (weights[i] ?? 0) & 0xbf;
  } else for (let i = 0; i < weights.length; i++) weights[i] = seed[i % seed.length] ?? 0;
  const tensorType = (dims: number[]) =>
    // TypeProto.tensor_type (1): elem_type (1) = FLOAT (1), shape (2) { dim (1) { dim_value (1) } }
    msg(1, [
      varintField(1, 1),
      msg(
        2,
        dims.map((d) => msg(1, [varintField(1, d)])),
      ),
    ]);
  const valueInfo = (field: number, name: string, dims: number[]) =>
    msg(field, [bytesField(1, name), msg(2, [tensorType(dims)])]);
  const graph = msg(7, [
    // NodeProto (1): input (1), output (2), name (3), op_type (4)
    msg(1, [
      bytesField(1, "x"),
      bytesField(1, "W"),
      bytesField(2, "y"),
      bytesField(3, "matmul"),
      bytesField(4, "MatMul"),
    ]),
    bytesField(2, "synthetic"), // GraphProto.name
    // TensorProto initializer (5): dims (1), data_type (2) = FLOAT, name (8), raw_data (9)
    msg(5, [varintField(1, n), varintField(1, m), varintField(2, 1), bytesField(8, "W"), bytesField(9, weights)]),
    valueInfo(11, "x", [1, n]), // GraphProto.input
    valueInfo(12, "y", [1, m]), // GraphProto.output
  ]);
  // ModelProto: ir_version (1) = 8, producer_name (2), graph (7), opset_import (8) { version (2) = 13 }
  return Buffer.concat([varintField(1, 8), bytesField(2, "edgeward-testkit"), graph, msg(8, [varintField(2, 13)])]);
}

function varint(value: number): Buffer {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push(v % 0x80 | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

function varintField(field: number, value: number): Buffer {
  return Buffer.concat([varint(field * 8), varint(value)]);
}

function bytesField(field: number, value: string | Buffer): Buffer {
  const body = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  return Buffer.concat([varint(field * 8 + 2), varint(body.length), body]);
}

function msg(field: number, parts: Buffer[]): Buffer {
  return bytesField(field, Buffer.concat(parts));
}
