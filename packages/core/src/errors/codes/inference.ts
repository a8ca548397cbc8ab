import { EXIT, type ErrorSpec } from "../spec.ts";

/** Error codes of model loading and inference (the `run` command; later the agent's inference server). */
export const INFERENCE_ERRORS = {
  EW_ERR_INPUT_FORMAT: {
    message: "The inference input is not a valid .npy or JSON tensor file; see `edgeward run --help`",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_MODEL_LOAD: {
    message: "The model could not be loaded by ONNX Runtime; check it is an ONNX model",
    exit: EXIT.format,
    http: 422,
  },
  EW_ERR_INFERENCE: {
    message: "Inference failed; check the input names, shapes and types against the model",
    exit: EXIT.format,
    http: 422,
  },
} as const satisfies Record<string, ErrorSpec>;
