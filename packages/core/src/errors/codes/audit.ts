import { EXIT, type ErrorSpec } from "../spec.ts";

/**
 * Error codes of the device audit (`edgeward audit`, one check per promise of ARCHITECTURE.md) and of the egress
 * rule generators (promise 3: nftables rulesets and Kubernetes NetworkPolicies).
 */
export const AUDIT_ERRORS = {
  EW_ERR_AUDIT_FAILED: {
    message: "The audit found at least one failing check; read each failure's evidence and fix",
    exit: 1,
    http: 422,
  },
  EW_ERR_AUDIT_ROOT: {
    message: "The audit root is not a readable directory; pass --root a directory that holds sys, proc and etc",
    exit: EXIT.usage,
    http: 400,
  },
  EW_ERR_AUDIT_STATE: {
    message: "The agent's state file is malformed; it must match the audit state interface in docs/audit.md",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_EGRESS_ENDPOINT: {
    message: "An egress endpoint is invalid; give the hub as an https URL and each allowed peer as HOST:PORT",
    exit: EXIT.usage,
    http: 400,
  },
  EW_ERR_EGRESS_CIDR: {
    message: "An egress CIDR or port is invalid; give an IPv4 or IPv6 CIDR such as 10.0.0.0/24 and a port 1-65535",
    exit: EXIT.usage,
    http: 400,
  },
} as const satisfies Record<string, ErrorSpec>;
