// @edgeward/core: formats and verification, pure (ARCHITECTURE.md, "Components and packages").
export {
  EdgewardError,
  ERRORS,
  ERROR_AREAS,
  EXIT,
  ensure,
  isEdgewardError,
  isErrorCode,
  type EdgewardErrorOptions,
  type ErrorCode,
  type ErrorSpec,
} from "./errors/index.ts";
export { renderErrorsMarkdown } from "./errors/markdown.ts";
