import { EdgewardError } from "@edgeward/core/errors";
import { canonicalJson, type JsonValue } from "./canonical-json.ts";
import { parseStrictJson } from "./strict-json.ts";

/**
 * One security decision, as every log entry records it (ARCHITECTURE.md: "Every security decision appends to
 * the audit log"). The hub and the agent write the same shape, serialised as canonical JSON (RFC 8785), so the
 * same event always hashes to the same leaf.
 */
export interface AuditEvent {
  /** When it happened: RFC 3339 in UTC with a Z suffix, e.g. 2026-05-01T12:00:00.000Z. */
  readonly time: string;
  /** Who decided or acted: "hub", "agent:<device-id>", "user:<name>", "cli". */
  readonly actor: string;
  /** What happened: lowercase dotted words, e.g. "attest.pass" (see {@link AUDIT_KINDS}). */
  readonly kind: string;
  /** What it happened to: a device id, "model:<name>@<version>", a key id. */
  readonly subject: string;
  /** Kind-specific facts (reasons, digests, PCR indices); JSON, never secrets or raw inputs. */
  readonly details: { readonly [key: string]: JsonValue };
}

/** The kinds Edgeward itself writes; other dotted kinds are allowed so newer writers stay readable. */
export const AUDIT_KINDS = [
  "log.init",
  "model.publish",
  "model.release",
  "device.enrol",
  "device.quarantine",
  "attest.pass",
  "attest.fail",
  "key.release",
  "key.deny",
  "update.install",
  "update.refuse",
  "tamper.detect",
  "guard.decision",
  "cert.issue",
] as const;

/** Largest encoded event accepted, in bytes. */
export const MAX_EVENT_BYTES = 64 * 1024;

const FIELDS = ["actor", "details", "kind", "subject", "time"];
const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const KIND = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$/;

/**
 * Checks `value` against the event schema and returns it typed; throws EW_ERR_LOG_EVENT_INVALID naming the field,
 * or EW_ERR_LOG_EVENT_CHARACTER when actor, kind or subject hold a character that does not show.
 */
export function validateAuditEvent(value: unknown): AuditEvent {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalid("the event is not a JSON object");
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) if (!FIELDS.includes(key)) throw invalid(`unknown field "${key}"`);
  const time = text(obj, "time", 40);
  if (!isValidTime(time)) throw invalid("time is not an RFC 3339 UTC timestamp ending in Z");
  const actor = text(obj, "actor", 256);
  const kind = text(obj, "kind", 64);
  if (!KIND.test(kind)) throw invalid('kind is not lowercase dotted words such as "attest.pass"');
  const subject = text(obj, "subject", 512);
  const details = obj["details"];
  if (typeof details !== "object" || details === null || Array.isArray(details))
    throw invalid("details is not an object");
  return { time, actor, kind, subject, details: details as AuditEvent["details"] };
}

/** The canonical bytes of an event (RFC 8785), which are what the log stores and hashes. */
export function encodeAuditEvent(event: AuditEvent): Uint8Array {
  const bytes = Buffer.from(canonicalJson(validateAuditEvent(event)), "utf8");
  if (bytes.length > MAX_EVENT_BYTES)
    throw new EdgewardError("EW_ERR_INPUT_TOO_LARGE", { detail: `event of ${bytes.length} bytes` });
  return new Uint8Array(bytes);
}

/**
 * Parses stored event bytes: UTF-8 JSON that matches the schema and is already in canonical form (so two
 * encodings of one event cannot both be logged as if different).
 */
export function decodeAuditEvent(bytes: Uint8Array): AuditEvent {
  if (bytes.length > MAX_EVENT_BYTES)
    throw new EdgewardError("EW_ERR_INPUT_TOO_LARGE", { detail: `event of ${bytes.length} bytes` });
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (err) {
    throw new EdgewardError("EW_ERR_LOG_EVENT_INVALID", { detail: "not UTF-8", cause: err });
  }
  const event = validateAuditEvent(parseStrictJson(text));
  if (canonicalJson(event) !== Buffer.from(bytes).toString("utf8")) throw invalid("not in canonical JSON form");
  return event;
}

/** A new event with `time` set to now. */
export function auditEvent(fields: Omit<AuditEvent, "time"> & { time?: string }): AuditEvent {
  return validateAuditEvent({ ...fields, time: fields.time ?? new Date().toISOString() });
}

function isValidTime(t: string): boolean {
  const m = TIME.exec(t);
  if (m === null) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d));
  // Round-trip the date so 2026-02-30 is refused; allow a leap second (:60) as RFC 3339 §5.6 does.
  return (
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === mo - 1 &&
    date.getUTCDate() === d &&
    h <= 23 &&
    mi <= 59 &&
    s <= 60
  );
}

function text(obj: Record<string, unknown>, field: string, max: number): string {
  const v = obj[field];
  if (typeof v !== "string" || v.length === 0) throw invalid(`${field} is not a non-empty string`);
  if (v.length > max) throw invalid(`${field} is longer than ${max} characters`);
  // Control characters (Cc), format characters (Cf: bidirectional overrides and isolates, zero-width spaces and
  // joiners, the BOM) and line or paragraph separators would let a name display as another (Unicode TR #36 §2).
  const bad = HIDDEN.exec(v);
  if (bad !== null)
    throw new EdgewardError("EW_ERR_LOG_EVENT_CHARACTER", {
      detail: `${field} holds U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`,
    });
  return v;
}

function invalid(detail: string): EdgewardError {
  return new EdgewardError("EW_ERR_LOG_EVENT_INVALID", { detail });
}
