import { EdgewardError } from "@edgeward/core/errors";
import type { LogMeta } from "./types.ts";

/** Parses the stored metadata JSON, refusing anything that is not what `create` wrote. */
export function parseMeta(text: string): LogMeta {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new EdgewardError("EW_ERR_LOG_STORAGE_MISMATCH", { detail: "metadata is not JSON", cause: err });
  }
  const m = v as Record<string, unknown>;
  if (typeof m["origin"] !== "string" || typeof m["vkey"] !== "string" || typeof m["createdAt"] !== "string")
    throw new EdgewardError("EW_ERR_LOG_STORAGE_MISMATCH", { detail: "metadata is incomplete" });
  const meta = { origin: m["origin"], vkey: m["vkey"], createdAt: m["createdAt"] };
  return typeof m["keyPath"] === "string" ? { ...meta, keyPath: m["keyPath"] } : meta;
}
