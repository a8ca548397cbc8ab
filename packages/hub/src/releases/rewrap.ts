/**
 * The hub's half of key release (ARCHITECTURE.md, flow 4: encrypt once, re-wrap per device): the release's file key
 * is unwrapped from its escrow stanza with the hub's escrow identity, in memory, wrapped again to the device's
 * `age1tag1` recipient, and zeroed (core's `rewrap` zeroes it on every path). The payload is never touched.
 */
import { isEdgewardError, parseHeader, parseRecipient, rewrap, unwrapHeader, EdgewardError } from "@edgeward/core";
import type { AgeIdentity } from "@edgeward/core";

/**
 * Returns a new age header wrapping the file key of `escrowHeader` to `deviceRecipient` only. Fails with
 * EW_ERR_RELEASE_RECIPIENT unless the recipient is a valid `age1tag1` (the device's TPM-resident P-256 key), and
 * with EW_ERR_RELEASE_ESCROW when the escrow identity does not open the header.
 */
export async function rewrapForDevice(
  escrowHeader: Uint8Array,
  escrow: readonly AgeIdentity[],
  deviceRecipient: string,
): Promise<Uint8Array> {
  if (!deviceRecipient.startsWith("age1tag1")) {
    throw new EdgewardError("EW_ERR_RELEASE_RECIPIENT", { detail: "not an age1tag1 recipient" });
  }
  let recipient;
  try {
    recipient = parseRecipient(deviceRecipient);
  } catch (err) {
    throw new EdgewardError("EW_ERR_RELEASE_RECIPIENT", { cause: err });
  }
  try {
    return await rewrap(escrowHeader, escrow, [recipient]);
  } catch (err) {
    throw escrowError(err);
  }
}

/**
 * Checks at upload that the hub's escrow identity opens `header` (parsed under the age header limits, MAC
 * verified); the file key is zeroed at once. EW_ERR_RELEASE_ESCROW otherwise.
 */
export async function checkEscrowHeader(header: Uint8Array, escrow: readonly AgeIdentity[]): Promise<void> {
  try {
    const fileKey = await unwrapHeader(parseHeader(header), escrow);
    fileKey.fill(0);
  } catch (err) {
    throw escrowError(err);
  }
}

// Any age failure here (a malformed header, no stanza for the escrow identity, a bad MAC) means the header is not
// one the hub can release keys from.
function escrowError(err: unknown): unknown {
  if (isEdgewardError(err) && err.code.startsWith("EW_ERR_AGE_")) {
    return new EdgewardError("EW_ERR_RELEASE_ESCROW", { detail: err.code, cause: err });
  }
  return err;
}
