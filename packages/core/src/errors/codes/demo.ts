import { EXIT, type ErrorSpec } from "../spec.ts";

/** Codes of `edgeward demo`: the walkthrough checks its own outcome (README "Quick start"). */
export const DEMO_ERRORS = {
  EW_ERR_DEMO_INCOMPLETE: {
    message: "The demo did not show every refusal it should, or found plaintext model bytes on disk; see its table",
    exit: EXIT.policy,
    http: 500,
  },
} as const satisfies Record<string, ErrorSpec>;
