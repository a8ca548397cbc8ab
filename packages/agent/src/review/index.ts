export { parseReviewConfig, REVIEW_DEFAULTS, type ReviewConfig } from "./review-config.ts";
export { openReviewQueue, REVIEW_DIR } from "./review-queue.ts";
export { REVIEW_ENTRIES_PER_ROUND, shipReviewEntries, type ReviewRound, type ReviewSink } from "./ship-review.ts";
export { ReviewShipping, type ReviewShippingLog } from "./review-shipping.ts";
