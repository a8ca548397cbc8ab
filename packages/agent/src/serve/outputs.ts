/**
 * Inference outputs in the JSON tensor form `edgeward run --input` reads (`{"name": {"type", "dims", "data"}}`), so a
 * client can feed one model's answer to another with the same code. Built in memory, sent, never written.
 */
import type ort from "onnxruntime-node";
import { EdgewardError } from "@edgeward/core";

/** One output tensor in the JSON form. */
export interface JsonTensor {
  readonly type: string;
  readonly dims: readonly number[];
  /** Numbers; int64 values beyond 2^53 are refused rather than rounded. */
  readonly data: readonly (number | boolean | string)[];
}

/** Converts ONNX Runtime's outputs to the JSON form. */
export function outputsToJson(
  outputNames: readonly string[],
  results: ort.InferenceSession.OnnxValueMapType,
): Record<string, JsonTensor> {
  const out: Record<string, JsonTensor> = {};
  for (const name of outputNames) {
    const t = results[name];
    if (t === undefined) continue;
    out[name] = { type: t.type, dims: [...t.dims], data: valuesOf(name, t) };
  }
  return out;
}

function valuesOf(name: string, t: ort.Tensor): (number | boolean | string)[] {
  const data = t.data as ArrayLike<number | bigint | string | boolean>;
  const values: (number | boolean | string)[] = new Array<number | boolean | string>(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v === "bigint") {
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
        throw new EdgewardError("EW_ERR_INFERENCE", { detail: `output ${name} has an int64 beyond 2^53` });
      values[i] = Number(v);
    } else if (typeof v === "number") values[i] = Number.isFinite(v) ? v : String(v);
    else values[i] = v ?? 0;
  }
  return values;
}
