export { deleteReviewEntry, listReviewEntries, reviewEntry } from "./client.ts";
export { DEFAULT_REVIEW_LIMITS, parseReviewLimits, type ReviewLimits } from "./review-limits.ts";
export { admitReviewEntry, reviewUsage, type ReviewUsage } from "./review-quota.ts";
export { reviewPlugin } from "./plugin.ts";
export { ReviewStore, isAgeFile, type ReviewEntryRow, type ReviewTables } from "./review-store.ts";
