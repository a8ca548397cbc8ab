import type { Command } from "commander";
import { registerHubReviewDelete } from "./hub-review-delete.ts";
import { registerHubReviewGet } from "./hub-review-get.ts";
import { registerHubReviewList } from "./hub-review-list.ts";

/**
 * `edgeward hub review`: the inputs devices' guards flagged, sealed on the device to the review recipient
 * (docs/agent.md "Review entries"). Operators and admins only; the hub cannot read them.
 */
export function registerHubReview(hub: Command): void {
  const review = hub.command("review").description("flagged inputs devices shipped, sealed to the review recipient");
  registerHubReviewList(review);
  registerHubReviewGet(review);
  registerHubReviewDelete(review);
}
