import { createHash } from "node:crypto";
import ort from "onnxruntime-node";
import { EdgewardError } from "@edgeward/core";
import type { TensorData } from "./npy.ts";

/** Summary of one output tensor: enough to compare two runs exactly (sha256 of the raw bytes) and to read. */
export interface OutputSummary {
  readonly type: string;
  readonly dims: readonly number[];
  readonly sha256: string;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * Loads an ONNX model from bytes in memory (never from a path: the plaintext model must not touch disk,
 * ARCHITECTURE.md "Rules that hold everywhere"). onnxruntime-node accepts only a non-shared ArrayBuffer, which
 * openToMemory returns, so the model is loaded without a copy; a SharedArrayBuffer-backed model is copied first.
 */
export async function loadModel(model: Uint8Array): Promise<ort.InferenceSession> {
  const bytes = model.buffer instanceof ArrayBuffer ? model : new Uint8Array(model);
  try {
    return await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "all" });
  } catch (err) {
    throw new EdgewardError("EW_ERR_MODEL_LOAD", { detail: firstLine(err), cause: err });
  }
}

/** Runs one inference. `inputs` maps input names to tensors; a lone unnamed input binds to the first input. */
export async function infer(
  session: ort.InferenceSession,
  inputs: ReadonlyMap<string, TensorData>,
): Promise<Record<string, OutputSummary>> {
  const results = await runInference(session, inputs);
  const out: Record<string, OutputSummary> = {};
  for (const name of session.outputNames) {
    const t = results[name];
    if (t === undefined) continue;
    out[name] = summarise(t);
  }
  return out;
}

/** Runs one inference and returns ONNX Runtime's output tensors whole (what a server sends back). */
export async function runInference(
  session: ort.InferenceSession,
  inputs: ReadonlyMap<string, TensorData>,
): Promise<ort.InferenceSession.OnnxValueMapType> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of inputs) {
    const key = name === "" ? session.inputNames[0] : name;
    if (key === undefined || !session.inputNames.includes(key))
      throw new EdgewardError("EW_ERR_INFERENCE", { detail: `the model has no input ${name}` });
    feeds[key] = new ort.Tensor(t.type, t.data, t.dims);
  }
  try {
    return await session.run(feeds);
  } catch (err) {
    throw new EdgewardError("EW_ERR_INFERENCE", { detail: firstLine(err), cause: err });
  }
}

function summarise(t: ort.Tensor): OutputSummary {
  const data = t.data as ArrayLike<number | bigint> & {
    buffer: ArrayBufferLike;
    byteOffset: number;
    byteLength: number;
  };
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return {
    type: t.type,
    dims: t.dims,
    sha256: createHash("sha256").update(raw).digest("hex"),
    min: data.length ? min : 0,
    max: data.length ? max : 0,
    mean: data.length ? sum / data.length : 0,
  };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : "unknown error").split("\n")[0] ?? "";
}
