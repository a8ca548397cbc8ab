import type { Migration } from "kysely/migration";
import * as initial from "./0001-initial.ts";
import * as releaseGuard from "./0002-release-guard.ts";
import * as nonceDeviceIndex from "./0003-nonce-device-index.ts";
import * as reviewEntries from "./0004-review-entries.ts";
import * as reviewBlobIndex from "./0005-review-blob-index.ts";

/**
 * Every migration of the hub's database, in order. Names sort in the order they run; add a new file
 * (`0002-….ts` exporting `up`) and one line here. Never edit a migration that has shipped.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  "0001-initial": initial,
  "0002-release-guard": releaseGuard,
  "0003-nonce-device-index": nonceDeviceIndex,
  "0004-review-entries": reviewEntries,
  "0005-review-blob-index": reviewBlobIndex,
};
