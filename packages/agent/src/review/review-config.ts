/**
 * The `review` section of the agent's configuration (docs/agent.md "Configuration"; docs/guard.md "Review queue"):
 * where the inputs the guard flags are sealed to, and how much the queue may hold on the device. Untrusted text:
 * every field is checked, and a bad one is EW_ERR_AGENT_CONFIG naming it.
 */
import { EdgewardError, parseRecipient, wire } from "@edgeward/core";

/** The checked `review` section. */
export interface ReviewConfig {
  /** The review recipient (`age1…`, or any recipient type the age code takes): only its identity opens an entry. */
  readonly recipient: string;
  /** The queue's folder; default `review/` in the state directory. */
  readonly dir?: string;
  /** Most entries the queue holds before it refuses more (default 1000). */
  readonly maxEntries: number;
  /** Most bytes of ciphertext the queue holds before it refuses more (default 256 MiB). */
  readonly maxBytes: number;
}

/** Defaults of the bounds. */
export const REVIEW_DEFAULTS = { maxEntries: 1000, maxBytes: 256 * 1024 * 1024 } as const;

/** A sealed entry holds the input as base64 (4/3 of its size) plus reasons, scores and age's overhead. */
const ENTRY_OVERHEAD = 64 * 1024;

/**
 * Checks a `review` section. `bodyLimit` is the largest request the agent takes: its entry must fit the hub's
 * limit on one entry ({@link wire.MAX_REVIEW_ENTRY_BYTES}), or it could never leave the device.
 */
export function parseReviewConfig(value: unknown, bodyLimit: number): ReviewConfig {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("review must be a mapping");
  const r = value as Record<string, unknown>;
  for (const k of Object.keys(r))
    if (!["recipient", "dir", "maxEntries", "maxBytes"].includes(k)) throw bad(`unknown key review.${k}`);
  const recipient = r["recipient"];
  if (typeof recipient !== "string" || recipient.length === 0 || recipient.length > 4096)
    throw bad("review.recipient must be an age recipient");
  try {
    parseRecipient(recipient);
  } catch (err) {
    throw new EdgewardError("EW_ERR_AGENT_CONFIG", { detail: "review.recipient is not an age recipient", cause: err });
  }
  const dir = r["dir"];
  if (dir !== undefined && (typeof dir !== "string" || !dir.startsWith("/") || dir.length > 4096))
    throw bad("review.dir must be an absolute path");
  const maxEntries = int(r["maxEntries"], "review.maxEntries", REVIEW_DEFAULTS.maxEntries, 1, 1_000_000);
  const maxBytes = int(r["maxBytes"], "review.maxBytes", REVIEW_DEFAULTS.maxBytes, 1024 * 1024, 2 ** 40);
  const largestEntry = Math.ceil((bodyLimit * 4) / 3) + ENTRY_OVERHEAD;
  if (largestEntry > wire.MAX_REVIEW_ENTRY_BYTES)
    throw bad(`with review, bodyLimit must be small enough that an entry fits ${wire.MAX_REVIEW_ENTRY_BYTES} bytes`);
  return { recipient, ...(dir === undefined ? {} : { dir }), maxEntries, maxBytes };
}

function int(v: unknown, where: string, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
    throw bad(`${where} must be an integer from ${min} to ${max}`);
  return v as number;
}

function bad(detail: string): EdgewardError {
  return new EdgewardError("EW_ERR_AGENT_CONFIG", { detail });
}
