import assert from "node:assert/strict";
import { describe, it } from "node:test";
import ort from "onnxruntime-node";
import { injectFailsWith, syntheticMatMulModel } from "@edgeward/testkit";
import { encodeNpyFloat32, loadModel } from "@edgeward/runtime";
import { buildApp, ModelSlot } from "@edgeward/agent";

const N = 8;
const M = 3;
const model = syntheticMatMulModel(N, M);
const x = Array.from({ length: N }, (_, i) => i / 8);
const jsonBody = JSON.stringify({ x: { type: "float32", dims: [1, N], data: x } });

async function servingApp(version = "1") {
  const slot = new ModelSlot(loadModel);
  await slot.activate({ name: "matmul", version, releaseId: `r${version}` }, new Uint8Array(model));
  return { slot, app: buildApp({ slot, bodyLimit: 64 * 1024 }) };
}

async function direct(): Promise<number[]> {
  const s = await ort.InferenceSession.create(new Uint8Array(model));
  const out = await s.run({ x: new ort.Tensor("float32", Float32Array.from(x), [1, N]) });
  await s.release();
  return Array.from(out["y"]?.data as Float32Array);
}

/** A POST /v1/infer request. */
function inferRequest(payload: string | Buffer, type = "application/json") {
  return { method: "POST" as const, url: "/v1/infer", headers: { "content-type": type }, payload };
}

describe("the agent's local inference API", () => {
  it("answers a JSON tensor with the outputs ONNX Runtime gives in process, and the model's name and version", async () => {
    const { app } = await servingApp();
    const res = await app.inject(inferRequest(jsonBody));
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<{
      model: unknown;
      outputs: Record<string, { type: string; dims: number[]; data: number[] }>;
    }>();
    assert.deepEqual(body.model, { name: "matmul", version: "1" });
    assert.deepEqual(body.outputs["y"]?.dims, [1, M]);
    assert.deepEqual(body.outputs["y"]?.data, await direct());
    await app.close();
  });

  it("answers a .npy body the same way", async () => {
    const { app } = await servingApp();
    const npy = encodeNpyFloat32([1, N], Float32Array.from(x));
    const res = await app.inject(inferRequest(npy, "application/x-npy"));
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json<{ outputs: { y: { data: number[] } } }>().outputs.y.data, await direct());
    await app.close();
  });

  it("refuses malformed tensors, unknown inputs, other media types and oversized bodies, each with its code", async () => {
    const { app } = await servingApp();
    const post = inferRequest;
    await injectFailsWith(app, post("{"), "EW_ERR_INPUT_FORMAT");
    await injectFailsWith(
      app,
      post(JSON.stringify({ x: { type: "float32", dims: [1, N], data: [1] } })),
      "EW_ERR_INPUT_FORMAT",
    );
    await injectFailsWith(app, post(Buffer.from("not npy"), "application/x-npy"), "EW_ERR_INPUT_FORMAT");
    await injectFailsWith(app, post("x", "text/plain"), "EW_ERR_INPUT_FORMAT");
    await injectFailsWith(
      app,
      post(JSON.stringify({ nope: { type: "float32", dims: [1, N], data: x } })),
      "EW_ERR_INFERENCE",
    );
    await injectFailsWith(
      app,
      post(JSON.stringify({ x: { type: "float32", dims: [1, 2], data: [1, 2] } })),
      "EW_ERR_INFERENCE",
    );
    await injectFailsWith(app, post(Buffer.alloc(65 * 1024), "application/x-npy"), "EW_ERR_INPUT_TOO_LARGE");
    const metrics = (await app.inject({ method: "GET", url: "/metrics" })).body;
    assert.match(metrics, /edgeward_agent_requests_refused_total\{code="EW_ERR_INPUT_FORMAT"\} 4/);
    assert.match(metrics, /edgeward_agent_model_loaded 1/);
    await app.close();
  });

  it("answers 503 with EW_ERR_AGENT_NO_MODEL before a model, and EW_ERR_AGENT_TAMPERED after a tamper", async () => {
    const empty = buildApp({ slot: new ModelSlot(loadModel) });
    await injectFailsWith(empty, { method: "GET", url: "/healthz" }, "EW_ERR_AGENT_NO_MODEL");
    await empty.close();
    const { app, slot } = await servingApp();
    assert.equal((await app.inject({ method: "GET", url: "/healthz" })).statusCode, 200);
    await slot.zeroize({ source: "case", at: new Date().toISOString() });
    await injectFailsWith(app, inferRequest(jsonBody), "EW_ERR_AGENT_TAMPERED");
    await injectFailsWith(app, { method: "GET", url: "/healthz" }, "EW_ERR_AGENT_TAMPERED");
    assert.match((await app.inject({ method: "GET", url: "/metrics" })).body, /edgeward_agent_tampered 1/);
    await app.close();
  });

  it("switches to a new release atomically: requests during the switch all succeed on one version or the other", async () => {
    const { app, slot } = await servingApp("1");
    const infer = () => app.inject(inferRequest(jsonBody));
    const during = Array.from({ length: 20 }, () => infer());
    await slot.activate({ name: "matmul", version: "2", releaseId: "r2" }, new Uint8Array(model));
    const answers = await Promise.all([...during, infer()]);
    assert.ok(answers.every((r) => r.statusCode === 200));
    assert.equal(answers.at(-1)?.json<{ model: { version: string } }>().model.version, "2");
    await app.close();
  });

  it("starts and stops twice, closing the slot and every closer", async () => {
    let closed = 0;
    for (let i = 0; i < 2; i++) {
      const slot = new ModelSlot(loadModel);
      const app = buildApp({ slot, closers: [() => Promise.resolve(void closed++)] });
      await app.ready();
      await app.close();
    }
    assert.equal(closed, 2);
  });
});
