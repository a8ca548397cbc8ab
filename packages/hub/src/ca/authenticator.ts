// The device authenticator of a hub with a device CA (promise 4): the client certificate must chain to the device
// CA and be valid now, and the device it names must not be on the deny list (quarantined, revoked), read per
// request so a state change is effective at once on every replica.
import type { FastifyRequest } from "fastify";
import { EdgewardError, isEdgewardError } from "@edgeward/core";
import type { DeviceAuthenticator, DeviceIdentity } from "../deps.ts";
import type { DenyList } from "./deny-list.ts";
import { peerDeviceId } from "./peer.ts";

/**
 * Builds the authenticator. On "optional" routes (attestation) a device without a usable certificate — none, or
 * one that expired — gets no identity and proves itself by its AK's quote instead: renewal by attestation alone.
 */
export function mtlsDeviceAuthenticator(denyList: DenyList): DeviceAuthenticator {
  return async (request: FastifyRequest, mode: "required" | "optional"): Promise<DeviceIdentity | null> => {
    let deviceId: string | undefined;
    try {
      deviceId = peerDeviceId(request.raw.socket);
    } catch (err) {
      if (mode === "optional" && isEdgewardError(err, "EW_ERR_DEVICE_CERT_INVALID") && /EXPIRED/.test(err.message))
        return null;
      throw err;
    }
    if (deviceId === undefined) {
      if (mode === "optional") return null;
      throw new EdgewardError("EW_ERR_HUB_DEVICE_CERT_REQUIRED");
    }
    // The record the deny list just read goes with the identity, so the route does not read the device again.
    const { record } = await denyList.admit(deviceId);
    return record === undefined ? { deviceId } : { deviceId, record };
  };
}
