import { EdgewardError } from "@edgeward/core";

/** The errno name of a Node system error (`ENOENT`), or undefined for anything else. */
export function errnoOf(err: unknown): string | undefined {
  return err instanceof Error && "code" in err && typeof err.code === "string" ? err.code : undefined;
}

/**
 * Types an ordinary I/O failure: a closed pipe (EPIPE), a full disk or quota (ENOSPC, EDQUOT), a directory where a
 * file was expected (EISDIR) get their own codes, so a script can tell them apart; every other errno is EW_ERR_IO.
 * An EdgewardError passes through unchanged. `what` says which file or stream, never its contents.
 */
export function ioError(err: unknown, what: string): EdgewardError {
  if (err instanceof EdgewardError) {
    // Core reports a failed read or write as EW_ERR_IO, with the system error as its cause, or from a worker
    // thread with only the errno name leading its detail ("ENOSPC in write"): type it here.
    if (err.code !== "EW_ERR_IO") return err;
    const errno = /^(E[A-Z]+)\b/.exec(err.detail ?? "")?.[1];
    const cause = err.cause ?? (errno === undefined ? undefined : Object.assign(new Error(errno), { code: errno }));
    const typed = cause === undefined ? err : ioError(cause, err.detail ?? what);
    return typed.code === "EW_ERR_IO" ? err : typed;
  }
  const errno = errnoOf(err);
  const detail = `${what} (${errno ?? "error"})`;
  switch (errno) {
    case "EPIPE":
    case "ERR_STREAM_DESTROYED":
      return new EdgewardError("EW_ERR_IO_PIPE_CLOSED", { detail, cause: err });
    case "ENOSPC":
    case "EDQUOT":
      return new EdgewardError("EW_ERR_IO_NO_SPACE", { detail, cause: err });
    case "EISDIR":
      return new EdgewardError("EW_ERR_IO_IS_DIRECTORY", { detail, cause: err });
    default:
      return new EdgewardError("EW_ERR_IO", { detail, cause: err });
  }
}
