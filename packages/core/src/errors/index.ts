export { EdgewardError, ensure, isEdgewardError, type EdgewardErrorOptions } from "./error.ts";
export { ERRORS, ERROR_AREAS, isErrorCode, type ErrorCode } from "./registry.ts";
export { redactSecrets } from "./redact.ts";
export { EXIT, type ErrorSpec } from "./spec.ts";
