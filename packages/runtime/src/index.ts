// @edgeward/runtime: ONNX Runtime sessions over models held in memory, and the tensor input formats. Apart from
// core so that a device that only verifies never loads ONNX Runtime's native addon.
export { encodeNpyFloat32, parseJsonInputs, parseNpy, type TensorData } from "./npy.ts";
export { infer, loadModel, runInference, type OutputSummary } from "./session.ts";
