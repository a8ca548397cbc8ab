import { EXIT, type ErrorSpec } from "../spec.ts";

/** Codes shared by every package: usage, I/O and unsupported features. */
export const GENERAL_ERRORS = {
  EW_ERR_INTERNAL: {
    message: "An internal error occurred; please report it with the command you ran",
    exit: EXIT.internal,
    http: 500,
  },
  EW_ERR_USAGE: { message: "The command line is invalid; run the command with --help", exit: EXIT.usage, http: 400 },
  EW_ERR_IO: { message: "A file or stream could not be read or written", exit: EXIT.io, http: 500 },
  EW_ERR_INPUT_TOO_LARGE: {
    message: "The input is larger than this operation accepts",
    exit: EXIT.format,
    http: 413,
  },
  EW_ERR_UNSUPPORTED: { message: "This feature or format is not supported", exit: EXIT.format, http: 400 },
} as const satisfies Record<string, ErrorSpec>;
