import { EXIT, type ErrorSpec } from "../spec.ts";

/**
 * Error codes of the device agent (ARCHITECTURE.md "The flows" 2-7): its state directory, the TPM version floor,
 * serving, tamper response, egress and the updates it takes from the hub.
 */
export const AGENT_ERRORS = {
  EW_ERR_AGENT_STATE: {
    message: "The agent's state directory is missing, unreadable or malformed; enrol the device again",
    exit: EXIT.io,
    http: 500,
  },
  EW_ERR_AGENT_NOT_ENROLLED: {
    message: "This state directory holds no enrolled device; run `edgeward agent enrol` first",
    exit: EXIT.usage,
    http: 409,
  },
  EW_ERR_AGENT_CONFIG: {
    message: "The agent's configuration is invalid; check it against the documented schema",
    exit: EXIT.usage,
    http: 400,
  },
  EW_ERR_AGENT_FLOOR: {
    message: "The release's version is below the TPM version floor; a rollback is refused whatever the hub says",
    exit: EXIT.policy,
    http: 409,
  },
  EW_ERR_AGENT_TAMPERED: {
    message: "A tamper event was detected: keys and model were zeroized and serving stopped; re-provision the device",
    exit: EXIT.policy,
    http: 503,
  },
  EW_ERR_AGENT_NO_MODEL: {
    message: "No model is loaded yet; the agent serves once a release has been verified and opened",
    exit: EXIT.policy,
    http: 503,
  },
  EW_ERR_AGENT_BOOT_CHANGED: {
    message:
      "The stored release cannot be opened: the boot state (PCRs) differs from the one its key is bound to; attest again",
    exit: EXIT.policy,
    http: 503,
  },
  EW_ERR_AGENT_TAMPER_SOURCE: {
    message: "A tamper source could not be read; check its path or command in the agent's configuration",
    exit: EXIT.device,
    http: 500,
  },
  EW_ERR_AGENT_EGRESS_DENIED: {
    message: "The agent refused to connect to a host that is not in its egress allow-list",
    exit: EXIT.policy,
    http: 403,
  },
  EW_ERR_AGENT_HUB_UNREACHABLE: {
    message: "The hub could not be reached; the agent keeps serving what it has and retries",
    exit: EXIT.io,
    http: 502,
  },
  EW_ERR_AGENT_HUB_REFUSED: {
    message: "The hub answered with an error; its code is in the detail",
    exit: EXIT.policy,
    http: 502,
  },
  EW_ERR_AGENT_HUB_RESPONSE: {
    message: "The hub's answer is malformed; the agent ignored it",
    exit: EXIT.format,
    http: 502,
  },
  EW_ERR_AGENT_HUB_BUSY: {
    message: "The hub is busy and asked the agent to come back later (429/503 with Retry-After); not a failure",
    exit: EXIT.io,
    http: 503,
  },
  EW_ERR_AGENT_TARGET_MISMATCH: {
    message: "The downloaded release does not match the length and hash its signed TUF metadata gives",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_AGENT_DOWNLOAD_INCOMPLETE: {
    message: "The download ended before the release's declared length; the agent resumes it on the next try",
    exit: EXIT.io,
    http: 502,
  },
  EW_ERR_AGENT_INSTALL_FAILED: {
    message: "The package's install command exited with a non-zero status; its status is in the log",
    exit: EXIT.device,
    http: 500,
  },
  EW_ERR_AGENT_RELEASE_PROOF: {
    message: "The release has no valid inclusion proof in the hub's log; the agent does not accept it",
    exit: EXIT.signature,
    http: 422,
  },
  // Following releases (docs/agent.md "Following releases"): the hub's listing of what is rolled out to a device's
  // group is only a hint, and TUF must agree with it before anything is installed.
  EW_ERR_AGENT_FOLLOW_MISMATCH: {
    message:
      "The hub listed a release that its TUF metadata does not describe (another name, version or kind, or no such target); nothing was installed",
    exit: EXIT.policy,
    http: 502,
  },
} as const satisfies Record<string, ErrorSpec>;
