export { parseReviewConfig, REVIEW_DEFAULTS, type ReviewConfig } from "./review-config.ts";
export { openReviewQueue, REVIEW_DIR } from "./review-queue.ts";
export { REVIEW_ENTRIES_PER_ROUND, shipReviewEntries, type ReviewRound, type ReviewSink } from "./ship-review.ts";
export {
  REVIEW_RETRY_LATER_MS,
  ReviewShipping,
  type ReviewShippingLog,
  type ShippingRound,
} from "./review-shipping.ts";
