import { EXIT, type ErrorSpec } from "../spec.ts";

/**
 * Error codes of the hub (the control plane) and of the `edgeward hub` client commands. Each code is documented
 * in docs/errors.md (generated: npm run docs:errors). Grouped by part of the hub; add a part's codes under its
 * own comment line.
 */
export const HUB_ERRORS = {
  // HTTP requests (every route): schema validation, body limits, unknown routes.
  EW_ERR_HUB_REQUEST_INVALID: {
    message: "The request does not match the route's schema; check the body, parameters and query against the API",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_HUB_JSON_MALFORMED: {
    message: "The request body is not valid JSON; send a JSON object with Content-Type: application/json",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_HUB_BODY_TOO_LARGE: {
    message: "The request body is larger than this route accepts",
    exit: EXIT.format,
    http: 413,
  },
  EW_ERR_HUB_MEDIA_TYPE: {
    message: "The request's Content-Type is not accepted by this route; send application/json",
    exit: EXIT.format,
    http: 415,
  },
  EW_ERR_HUB_ROUTE_NOT_FOUND: {
    message: "No such route on the hub; check the URL and method (the API is described at /openapi.json)",
    exit: EXIT.usage,
    http: 404,
  },
  EW_ERR_HUB_UNAVAILABLE: {
    message: "The hub cannot serve this request now (its database or log is unavailable); retry later",
    exit: EXIT.io,
    http: 503,
  },
  EW_ERR_HUB_OVERLOADED: {
    message: "The hub is overloaded and shed this request before doing any work; come back after Retry-After",
    exit: EXIT.io,
    http: 503,
  },
  EW_ERR_HUB_TOO_MANY_WAITS: {
    message: "This device already holds as many release long polls as the hub allows; come back after Retry-After",
    exit: EXIT.policy,
    http: 429,
  },

  // Operator tokens and roles.
  EW_ERR_HUB_TOKEN_MISSING: {
    message: "This route needs an operator token; send Authorization: Bearer <token>",
    exit: EXIT.auth,
    http: 401,
  },
  EW_ERR_HUB_TOKEN_INVALID: {
    message: "The operator token is not known to this hub; check the token or create one with `edgeward hub token`",
    exit: EXIT.auth,
    http: 401,
  },
  EW_ERR_HUB_TOKEN_REVOKED: {
    message: "The operator token was revoked; ask an administrator for a new one",
    exit: EXIT.auth,
    http: 401,
  },
  EW_ERR_HUB_FORBIDDEN: {
    message: "The token's role may not use this route; use a token with a role that may",
    exit: EXIT.policy,
    http: 403,
  },
  EW_ERR_HUB_TOKEN_NOT_FOUND: {
    message: "No such token on this hub; list tokens with GET /v1/tokens",
    exit: EXIT.usage,
    http: 404,
  },

  // Device API authentication (mTLS with a hub-issued certificate).
  EW_ERR_HUB_DEVICE_CERT_REQUIRED: {
    message: "This device route needs a client certificate issued by the hub; attest to obtain one",
    exit: EXIT.auth,
    http: 401,
  },

  // Devices and groups (operator view).
  EW_ERR_HUB_DEVICE_NOT_FOUND: {
    message: "No such device on this hub; list devices with `edgeward hub devices list`",
    exit: EXIT.usage,
    http: 404,
  },
  EW_ERR_HUB_AUDIT_NOT_FOUND: {
    message: "The hub holds no audit report from this device yet; the agent sends one soon after it starts, then daily",
    exit: EXIT.usage,
    http: 404,
  },
  EW_ERR_HUB_DEVICE_STATE: {
    message: "The device's state does not allow this action (pending → trusted → quarantined → revoked)",
    exit: EXIT.policy,
    http: 409,
  },
  EW_ERR_HUB_GROUP_NOT_FOUND: {
    message: "No such device group on this hub; create it with `edgeward hub groups create`",
    exit: EXIT.usage,
    http: 404,
  },
  EW_ERR_HUB_GROUP_EXISTS: {
    message: "A device group with this name already exists; update its policy instead",
    exit: EXIT.usage,
    http: 409,
  },
  EW_ERR_HUB_POLICY_INVALID: {
    message: "The group policy is invalid; check PCR indices, allowed values and intervals",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_HUB_CONFLICT: {
    message: "The record was changed by another request at the same time; read it again and retry",
    exit: EXIT.policy,
    http: 409,
  },

  // Storage and blobs.
  EW_ERR_HUB_STORAGE: {
    message: "The hub's database could not be opened, read or written; check the path or URL and its permissions",
    exit: EXIT.io,
    http: 503,
  },
  EW_ERR_HUB_BLOB_NOT_FOUND: {
    message: "No blob with this sha256 is stored on the hub",
    exit: EXIT.io,
    http: 404,
  },
  EW_ERR_HUB_BLOB_DIGEST: {
    message: "The blob's content does not match its sha256 name; the upload was altered or the store is damaged",
    exit: EXIT.signature,
    http: 422,
  },

  // The hub directory and its commands (init, serve, token).
  EW_ERR_HUB_DIR_EXISTS: {
    message: "The hub directory already holds a hub; pass --force to overwrite its secrets (this discards them)",
    exit: EXIT.usage,
    http: 409,
  },
  EW_ERR_HUB_DIR_INVALID: {
    message: "The hub directory is missing or incomplete; create it with `edgeward hub init --dir DIR`",
    exit: EXIT.io,
    http: 500,
  },

  // The operator client (`edgeward hub` commands talking to a hub).
  EW_ERR_HUB_UNREACHABLE: {
    message: "The hub could not be reached over HTTPS; check --hub, --ca and the network",
    exit: EXIT.io,
    http: 502,
  },
  EW_ERR_HUB_RESPONSE_INVALID: {
    message: "The hub's answer is not what the API describes; check that --hub names an Edgeward hub",
    exit: EXIT.format,
    http: 502,
  },
} as const satisfies Record<string, ErrorSpec>;
