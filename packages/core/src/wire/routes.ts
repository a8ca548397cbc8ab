// The device API's routes, under /v1/device/ (the hub <-> agent device API contract).

/** Paths of the device API. Routes marked `noClientCert` are reachable without a hub-issued device certificate. */
export const DEVICE_ROUTES = {
  enrol: { method: "POST", path: "/v1/device/enrol", noClientCert: true },
  activate: { method: "POST", path: "/v1/device/enrol/activate", noClientCert: true },
  challenge: { method: "POST", path: "/v1/device/attest/challenge", noClientCert: true },
  quote: { method: "POST", path: "/v1/device/attest/quote", noClientCert: true },
  tufMetadata: { method: "GET", path: "/v1/device/tuf/:name", noClientCert: false },
  target: { method: "GET", path: "/v1/device/targets/:name", noClientCert: false },
  releaseKey: { method: "POST", path: "/v1/device/releases/:releaseId/key", noClientCert: false },
  log: { method: "POST", path: "/v1/device/log", noClientCert: false },
  tamper: { method: "POST", path: "/v1/device/tamper", noClientCert: false },
  audit: { method: "POST", path: "/v1/device/audit", noClientCert: false },
  /** The device CA's CRL (PEM, application/pkix-crl) for outside relying parties; public. */
  crl: { method: "GET", path: "/v1/device/crl", noClientCert: true },
} as const;

/** The operator API's public facts route. */
export const HUB_INFO_PATH = "/v1/hub";

/** The HTTP header carrying the number of seconds to wait, on 429 and 503 answers. */
export const RETRY_AFTER_HEADER = "retry-after";
