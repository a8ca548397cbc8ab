/**
 * The agent's configuration (YAML, docs/agent.md "Configuration"): tamper sources, the publisher key releases must
 * be signed with, the egress allow-list beyond the hub, and timings. Untrusted text: every field is checked and a
 * bad one is EW_ERR_AGENT_CONFIG naming it.
 */
import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { EdgewardError, wire } from "@edgeward/core";
import { DEFAULT_EVENT_LOG_PATH } from "./identity/event-log.ts";
import { parseReviewConfig, type ReviewConfig } from "./review/review-config.ts";
import { accelerometerSource, commandSource, valueFileSource, type TamperSource } from "./tamper/sources.ts";

/** A release name (the hub's manifest rule). */
const FOLLOW_NAME = new RegExp(wire.RELEASE_NAME_PATTERN);

/** The checked configuration. */
export interface AgentConfig {
  readonly tamper: readonly TamperSource[];
  /** Polling period of the tamper sources in ms (default 20). */
  readonly tamperIntervalMs: number;
  /** The publisher's SPKI PEM every release's OMS signature must verify with; none means unchecked (loudly). */
  readonly publisherKey?: string;
  /** Extra `host:port` entries the agent may reach besides its hub. */
  readonly allow: readonly string[];
  /** Require a fresh attestation before opening a stored release after a restart (default false). */
  readonly requireFreshAttestation: boolean;
  /** Largest inference request body in bytes (default 16 MiB). */
  readonly bodyLimit: number;
  /** TUF target paths (`NAME/VERSION`) to install from the hub, in order. */
  readonly track: readonly string[];
  /** Release names whose newest version rolled out to this device's group is installed (docs/agent.md). */
  readonly follow: readonly string[];
  /** The command a verified `package` release is handed to, on its standard input (never a file). */
  readonly installCommand?: readonly string[];
  /** How often the agent attests, ships its log and looks for its targets when the hub names no time (ms). */
  readonly hubIntervalMs: number;
  /** How often the agent runs the audit and sends the report to the hub (ms; default daily, docs/audit.md). */
  readonly auditIntervalMs: number;
  /** The TCG binary event log sent with each quote when it exists (default the kernel's securityfs file). */
  readonly eventLogPath: string;
  /** Where flagged inputs are sealed to and how much the device keeps (docs/guard.md "Review queue"); none: not kept. */
  readonly review?: ReviewConfig;
}

/** The defaults: no tamper source but the manual trigger. */
export const DEFAULT_CONFIG: AgentConfig = {
  tamper: [],
  tamperIntervalMs: 20,
  allow: [],
  requireFreshAttestation: false,
  bodyLimit: 16 * 1024 * 1024,
  track: [],
  follow: [],
  hubIntervalMs: 60_000,
  auditIntervalMs: 86_400_000,
  eventLogPath: DEFAULT_EVENT_LOG_PATH,
};

/** Reads and checks a YAML configuration file. */
export async function loadConfig(path: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new EdgewardError("EW_ERR_AGENT_CONFIG", { detail: `${path} cannot be read`, cause: err });
  }
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 16 });
  } catch (err) {
    throw new EdgewardError("EW_ERR_AGENT_CONFIG", { detail: `${path} is not YAML`, cause: err });
  }
  return parseConfig(doc);
}

/** Checks a parsed configuration document. */
export function parseConfig(doc: unknown): AgentConfig {
  const c = obj(doc ?? {}, "the configuration");
  known(
    c,
    [
      "tamper",
      "tamperIntervalMs",
      "publisherKey",
      "allow",
      "requireFreshAttestation",
      "bodyLimit",
      "track",
      "follow",
      "hubIntervalMs",
      "installCommand",
      "auditIntervalMs",
      "eventLogPath",
      "review",
    ],
    "",
  );
  const tamper = list(c["tamper"], "tamper").map((s, i) => tamperSource(s, `tamper[${i}]`));
  const publisherKey = c["publisherKey"] === undefined ? undefined : str(c["publisherKey"], "publisherKey");
  const bodyLimit = int(c["bodyLimit"], "bodyLimit", DEFAULT_CONFIG.bodyLimit, 1024, 1 << 30);
  const review = c["review"] === undefined ? undefined : parseReviewConfig(c["review"], bodyLimit);
  const track = list(c["track"], "track").map((t, i) => str(t, `track[${i}]`));
  const follow = parseFollow(c["follow"], track);
  return {
    tamper,
    tamperIntervalMs: int(c["tamperIntervalMs"], "tamperIntervalMs", DEFAULT_CONFIG.tamperIntervalMs, 5, 60_000),
    ...(publisherKey === undefined ? {} : { publisherKey }),
    allow: list(c["allow"], "allow").map((a, i) => str(a, `allow[${i}]`)),
    requireFreshAttestation: c["requireFreshAttestation"] === true,
    bodyLimit,
    track,
    follow,
    ...(c["installCommand"] === undefined
      ? {}
      : { installCommand: list(c["installCommand"], "installCommand").map((a, i) => str(a, `installCommand[${i}]`)) }),
    hubIntervalMs: int(c["hubIntervalMs"], "hubIntervalMs", DEFAULT_CONFIG.hubIntervalMs, 200, 86_400_000),
    auditIntervalMs: int(
      c["auditIntervalMs"],
      "auditIntervalMs",
      DEFAULT_CONFIG.auditIntervalMs,
      1_000,
      7 * 86_400_000,
    ),
    eventLogPath: c["eventLogPath"] === undefined ? DEFAULT_EVENT_LOG_PATH : str(c["eventLogPath"], "eventLogPath"),
    ...(review === undefined ? {} : { review }),
  };
}

// A followed name is a release name as the hub's manifest allows it; one also pinned in `track` would be installed
// twice over, so it is refused (docs/agent.md "Following releases").
function parseFollow(value: unknown, track: readonly string[]): string[] {
  const names = list(value, "follow").map((n, i) => str(n, `follow[${i}]`));
  const seen = new Set<string>();
  for (const [i, name] of names.entries()) {
    if (!FOLLOW_NAME.test(name)) throw bad(`follow[${i}] must be a release name`);
    if (seen.has(name)) throw bad(`follow[${i}] repeats ${name}`);
    if (track.some((t) => t.split("/")[0] === name)) throw bad(`${name} is both in track and in follow`);
    seen.add(name);
  }
  return names;
}

function tamperSource(value: unknown, where: string): TamperSource {
  const s = obj(value, where);
  const name = str(s["name"], `${where}.name`);
  switch (s["type"]) {
    case "value-file":
      known(s, ["type", "name", "path", "normal"], where);
      return valueFileSource(name, str(s["path"], `${where}.path`), normalValue(s["normal"], `${where}.normal`));
    case "accelerometer":
      known(s, ["type", "name", "device", "threshold"], where);
      return accelerometerSource(
        name,
        str(s["device"], `${where}.device`),
        int(s["threshold"], `${where}.threshold`, 200, 1, 1e9),
      );
    case "command":
      known(s, ["type", "name", "command", "timeoutMs"], where);
      return commandSource(
        name,
        list(s["command"], `${where}.command`).map((a, i) => str(a, `${where}.command[${i}]`)),
        int(s["timeoutMs"], `${where}.timeoutMs`, 5_000, 10, 600_000),
      );
    default:
      throw bad(`${where}.type must be value-file, accelerometer or command`);
  }
}

function normalValue(v: unknown, where: string): string {
  if (v === undefined) return "0";
  if (typeof v === "number" && Number.isInteger(v)) return String(v);
  return str(v, where);
}

function obj(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad(`${where} must be a mapping`);
  return v as Record<string, unknown>;
}

function list(v: unknown, where: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw bad(`${where} must be a list`);
  return v;
}

function str(v: unknown, where: string): string {
  if (typeof v !== "string" || v.length === 0 || v.length > 4096) throw bad(`${where} must be a string`);
  return v;
}

function int(v: unknown, where: string, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
    throw bad(`${where} must be an integer from ${min} to ${max}`);
  return v as number;
}

function known(o: Record<string, unknown>, keys: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw bad(`unknown key ${where ? `${where}.` : ""}${k}`);
}

function bad(detail: string): EdgewardError {
  return new EdgewardError("EW_ERR_AGENT_CONFIG", { detail });
}
