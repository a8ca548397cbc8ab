import { EdgewardError } from "@edgeward/core";
import type { DeviceAuthenticator } from "../deps.ts";

/**
 * The device authenticator of a hub without a device CA wired in: it accepts no device. Routes that require a
 * device certificate answer EW_ERR_HUB_DEVICE_CERT_REQUIRED; routes where it is optional get no identity. The
 * device CA's mTLS check replaces it (deps.deviceAuth).
 */
export const refuseDevices: DeviceAuthenticator = (_request, mode) =>
  mode === "required" ? Promise.reject(new EdgewardError("EW_ERR_HUB_DEVICE_CERT_REQUIRED")) : Promise.resolve(null);
