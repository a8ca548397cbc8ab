// The operator side of review shipping (docs/guard.md "Review queue"), for `edgeward hub review list|get|delete`: the
// entries' facts, and one entry's age ciphertext checked against the SHA-256 the hub stored it under.
import { createHash } from "node:crypto";
import { EdgewardError, wire } from "@edgeward/core";
import type { HubClient } from "../client/hub-client.ts";

/** The stored entries, newest first (of one device, or every device). */
export async function listReviewEntries(
  client: HubClient,
  options: { deviceId?: string; limit?: number } = {},
): Promise<wire.ReviewEntryInfo[]> {
  const answer = await client.get<wire.ReviewListResponse>(wire.REVIEW_ROUTES.list.path, {
    device: options.deviceId,
    limit: options.limit,
  });
  if (!Array.isArray(answer?.entries)) throw new EdgewardError("EW_ERR_HUB_RESPONSE_INVALID", { detail: "no entries" });
  return answer.entries;
}

/** Deletes one entry on the hub (its blob too, unless another entry shares it); the hub's answer. */
export async function deleteReviewEntry(
  client: HubClient,
  deviceId: string,
  id: string,
): Promise<wire.ReviewDeleteResponse> {
  const answer = await client.delete<wire.ReviewDeleteResponse>(
    entryPath(wire.REVIEW_ROUTES.delete.path, deviceId, id),
  );
  if (answer?.deleted !== true || answer.deviceId !== deviceId || answer.id !== id)
    throw new EdgewardError("EW_ERR_HUB_RESPONSE_INVALID", { detail: `no deletion of ${deviceId}/${id}` });
  return answer;
}

/**
 * One entry: its facts and its ciphertext (an age file only the review identity opens). A ciphertext that does
 * not hash to the entry's SHA-256 is EW_ERR_HUB_RESPONSE_INVALID.
 */
export async function reviewEntry(
  client: HubClient,
  deviceId: string,
  id: string,
): Promise<{ info: wire.ReviewEntryInfo; ciphertext: Buffer }> {
  const path = entryPath(wire.REVIEW_ROUTES.get.path, deviceId, id);
  const { ciphertext: b64, ...info } = await client.get<wire.ReviewGetResponse>(path);
  if (typeof b64 !== "string") throw new EdgewardError("EW_ERR_HUB_RESPONSE_INVALID", { detail: "no ciphertext" });
  const ciphertext = Buffer.from(b64, "base64");
  if (createHash("sha256").update(ciphertext).digest("hex") !== info.sha256)
    throw new EdgewardError("EW_ERR_HUB_RESPONSE_INVALID", { detail: `entry ${id} does not match its SHA-256` });
  return { info, ciphertext };
}

function entryPath(pattern: string, deviceId: string, id: string): string {
  return pattern.replace(":deviceId", encodeURIComponent(deviceId)).replace(":id", encodeURIComponent(id));
}
