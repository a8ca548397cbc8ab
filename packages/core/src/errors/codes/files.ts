import { EXIT, type ErrorSpec } from "../spec.ts";

/**
 * Error codes of reading and writing files and streams: the ordinary I/O failures a script branches on, and the
 * output targets a command refuses (each code is documented in docs/errors.md, generated from this registry).
 */
export const FILES_ERRORS = {
  EW_ERR_IO_PIPE_CLOSED: {
    message: "The output pipe was closed before everything was written (the reader exited early)",
    exit: EXIT.io,
    http: 500,
  },
  EW_ERR_IO_NO_SPACE: {
    message: "The disk (or quota) is full; free space or write elsewhere, then run the command again",
    exit: EXIT.io,
    http: 507,
  },
  EW_ERR_IO_IS_DIRECTORY: {
    message: "A directory was given where a file is expected; name a file",
    exit: EXIT.io,
    http: 400,
  },
  EW_ERR_OUTPUT_EXISTS: {
    message: "The output file exists and may hold the only copy of a key; move it away, or ask for it to be replaced",
    exit: EXIT.io,
    http: 409,
  },
  EW_ERR_OUTPUT_IS_INPUT: {
    message: "The output is the input file; write to another path",
    exit: EXIT.usage,
    http: 400,
  },
} as const satisfies Record<string, ErrorSpec>;
