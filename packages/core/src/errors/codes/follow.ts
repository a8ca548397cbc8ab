import { EXIT, type ErrorSpec } from "../spec.ts";

/**
 * Error codes of following releases (docs/agent.md "Following releases"): the hub's listing of what is rolled out
 * to a device's group is only a hint, and TUF must agree with it before anything is installed.
 */
export const FOLLOW_ERRORS = {
  EW_ERR_AGENT_FOLLOW_MISMATCH: {
    message:
      "The hub listed a release that its TUF metadata does not describe (another name, version or kind, or no such target); nothing was installed",
    exit: EXIT.policy,
    http: 502,
  },
} as const satisfies Record<string, ErrorSpec>;
