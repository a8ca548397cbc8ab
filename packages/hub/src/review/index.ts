export { listReviewEntries, reviewEntry } from "./client.ts";
export { reviewPlugin } from "./plugin.ts";
export { ReviewStore, isAgeFile, type ReviewEntryRow, type ReviewTables } from "./review-store.ts";
