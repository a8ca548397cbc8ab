import { ERRORS, type ErrorCode } from "./registry.ts";

/** Options for {@link EdgewardError}. */
export interface EdgewardErrorOptions {
  /** A specific detail appended to the registry message (a path, an index, a value). Never a secret. */
  readonly detail?: string;
  /** The underlying error, kept for logs and `--verbose`. */
  readonly cause?: unknown;
}

/**
 * The one error type Edgeward throws (after sigstore-js `verify/src/error.ts`): `code` is a registered
 * `EW_ERR_*` literal, the message comes from the registry, and `exitCode`/`httpStatus` tell the CLI and
 * the hub how to answer. Callers branch on `code`, never on message text.
 */
export class EdgewardError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;
  override readonly name = "EdgewardError";

  constructor(code: ErrorCode, options: EdgewardErrorOptions = {}) {
    const spec = ERRORS[code];
    super(options.detail === undefined ? spec.message : `${spec.message}: ${options.detail}`, {
      cause: options.cause,
    });
    this.code = code;
    this.detail = options.detail;
  }

  /** Process exit status for this error (see `EXIT`). */
  get exitCode(): number {
    return ERRORS[this.code].exit;
  }

  /** HTTP status for this error when it crosses the hub's API. */
  get httpStatus(): number {
    return ERRORS[this.code].http;
  }
}

/** Narrows `err` to an {@link EdgewardError}, optionally with a given code. */
export function isEdgewardError(err: unknown, code?: ErrorCode): err is EdgewardError {
  return err instanceof EdgewardError && (code === undefined || err.code === code);
}

/** Throws an {@link EdgewardError} with `code` unless `condition` holds. */
export function ensure(condition: unknown, code: ErrorCode, detail?: string): asserts condition {
  if (!condition) throw new EdgewardError(code, detail === undefined ? {} : { detail });
}
