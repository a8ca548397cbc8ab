/**
 * What the audit reads from the agent's state directory: one `state.json` (this interface, version 1) and the
 * files it names, relative to the directory (docs/audit.md, "The state directory"). The agent writes it; the
 * audit only reads it, so the agent's own layout can change as long as it keeps this file current.
 */
import { EdgewardError } from "@edgeward/core";

/** The state file, version 1. Every section is optional: a missing section fails the checks that need it. */
export interface AuditState {
  readonly version: 1;
  readonly deviceId?: string;
  /** The hub: its https URL; the addresses its name had when the egress rules were made; other allowed peers. */
  readonly hub?: { readonly url: string; readonly addresses?: readonly string[]; readonly allow?: readonly string[] };
  readonly enrolment?: { readonly enrolled: boolean; readonly at?: string };
  /** The unwrap key (promise 1): `tpm` or `software`, its PCR policy (`sha256:0,7`), its key file. */
  readonly keys?: {
    readonly unwrap?: { readonly kind: "tpm" | "software"; readonly pcrs?: string; readonly file?: string };
  };
  /** The last attestation (promise 7). */
  readonly attestation?: {
    readonly result: "pass" | "fail" | "timeout";
    readonly at: string;
    readonly maxAgeSeconds?: number;
  };
  /** The device certificate for mTLS (promise 4) and the hub CA that issued it, PEM files. */
  readonly cert?: { readonly file: string; readonly caFile?: string };
  /**
   * Updates (promise 6): the trusted TUF root (its folder holds the agent's cached metadata), the running
   * release's TUF target path and version, and the TPM NV version floor.
   */
  readonly update?: {
    readonly tufRoot?: string;
    readonly target?: string;
    readonly runningVersion: number;
    readonly floor?: number | null;
  };
  /** The running release's guard (promise 8): shipped inside the release, or a configuration file. */
  readonly guard?: GuardInRelease | GuardConfigFile;
  /** Tamper sources (promise 9). */
  readonly tamper?: { readonly sources: readonly { readonly kind: string; readonly armed: boolean }[] };
  /** The local audit log (promise 10): its SQLite file, verifier key, and the last checkpoint the hub accepted. */
  readonly log?: {
    readonly db: string;
    readonly vkey: string;
    readonly checkpoint?: { readonly size: number; readonly acceptedByHub: boolean; readonly at?: string };
  };
  /** The agent's own listening ports and data directories (host paths). */
  readonly agent?: { readonly listen?: readonly number[]; readonly dataDirs?: readonly string[] };
}

/**
 * A guard that ships inside the release (sealed with the model): the SHA-256 (hex) of the guard file the agent
 * loaded, the digest the release's TUF target names (`custom.guard.configSha256`), and the guard's enabled stages.
 * Fields may be missing when the agent could not load a guard; promise 8 then fails and says which.
 */
export interface GuardInRelease {
  readonly source: "release";
  readonly digest?: string;
  readonly releaseDigest?: string;
  readonly stages?: readonly string[];
}

/** A guard configuration file in the state directory and, optionally, the SHA-256 the release names for it. */
export interface GuardConfigFile {
  readonly configFile: string;
  readonly sha256?: string;
}

/** Parses and checks `state.json`; EW_ERR_AUDIT_STATE names the first field that is wrong. */
export function parseState(text: string): AuditState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new EdgewardError("EW_ERR_AUDIT_STATE", { detail: "state.json is not JSON", cause: err });
  }
  const s = obj(value, "state");
  if (s["version"] !== 1) bad("version (must be 1)");
  opt(s, "deviceId", (v) => str(v, "deviceId"));
  opt(s, "hub", (v) => {
    const h = obj(v, "hub");
    str(h["url"], "hub.url");
    opt(h, "addresses", (a) => strList(a, "hub.addresses"));
    opt(h, "allow", (a) => strList(a, "hub.allow"));
  });
  opt(s, "enrolment", (v) => {
    const e = obj(v, "enrolment");
    bool(e["enrolled"], "enrolment.enrolled");
    opt(e, "at", (a) => date(a, "enrolment.at"));
  });
  opt(s, "keys", (v) =>
    opt(obj(v, "keys"), "unwrap", (u) => {
      const k = obj(u, "keys.unwrap");
      if (k["kind"] !== "tpm" && k["kind"] !== "software") bad("keys.unwrap.kind (tpm or software)");
      opt(k, "pcrs", (p) => str(p, "keys.unwrap.pcrs"));
      opt(k, "file", (p) => str(p, "keys.unwrap.file"));
    }),
  );
  opt(s, "attestation", (v) => {
    const a = obj(v, "attestation");
    if (!["pass", "fail", "timeout"].includes(a["result"] as string)) bad("attestation.result");
    date(a["at"], "attestation.at");
    opt(a, "maxAgeSeconds", (n) => num(n, "attestation.maxAgeSeconds"));
  });
  opt(s, "cert", (v) => {
    const c = obj(v, "cert");
    str(c["file"], "cert.file");
    opt(c, "caFile", (f) => str(f, "cert.caFile"));
  });
  opt(s, "update", (v) => {
    const u = obj(v, "update");
    num(u["runningVersion"], "update.runningVersion");
    opt(u, "floor", (f) => f === null || num(f, "update.floor"));
    opt(u, "tufRoot", (f) => str(f, "update.tufRoot"));
    opt(u, "target", (f) => str(f, "update.target"));
  });
  opt(s, "guard", (v) => {
    const g = obj(v, "guard");
    if (g["source"] === "release") {
      opt(g, "digest", (d) => str(d, "guard.digest"));
      opt(g, "releaseDigest", (d) => str(d, "guard.releaseDigest"));
      opt(g, "stages", (l) => strList(l, "guard.stages"));
      return;
    }
    if (g["source"] !== undefined) bad('guard.source (must be "release")');
    str(g["configFile"], "guard.configFile");
    opt(g, "sha256", (d) => str(d, "guard.sha256"));
  });
  opt(s, "tamper", (v) => {
    const sources = obj(v, "tamper")["sources"];
    if (!Array.isArray(sources)) bad("tamper.sources");
    for (const x of sources as unknown[]) {
      const src = obj(x, "tamper.sources[]");
      str(src["kind"], "tamper.sources[].kind");
      bool(src["armed"], "tamper.sources[].armed");
    }
  });
  opt(s, "log", (v) => {
    const l = obj(v, "log");
    str(l["db"], "log.db");
    str(l["vkey"], "log.vkey");
    opt(l, "checkpoint", (c) => {
      const cp = obj(c, "log.checkpoint");
      num(cp["size"], "log.checkpoint.size");
      bool(cp["acceptedByHub"], "log.checkpoint.acceptedByHub");
    });
  });
  opt(s, "agent", (v) => {
    const a = obj(v, "agent");
    opt(a, "listen", (l) => {
      if (!Array.isArray(l) || !l.every((p) => Number.isInteger(p) && p > 0 && p < 65536)) bad("agent.listen");
    });
    opt(a, "dataDirs", (d) => strList(d, "agent.dataDirs"));
  });
  return s as unknown as AuditState;
}

function bad(field: string): never {
  throw new EdgewardError("EW_ERR_AUDIT_STATE", { detail: field });
}
function obj(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) bad(field);
  return v as Record<string, unknown>;
}
function opt(o: Record<string, unknown>, key: string, check: (v: unknown) => unknown): void {
  if (o[key] !== undefined) check(o[key]);
}
function str(v: unknown, field: string): void {
  if (typeof v !== "string" || v.length === 0 || v.length > 4096) bad(field);
}
function strList(v: unknown, field: string): void {
  if (!Array.isArray(v)) bad(field);
  for (const x of v as unknown[]) str(x, field);
}
function num(v: unknown, field: string): void {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) bad(field);
}
function bool(v: unknown, field: string): void {
  if (typeof v !== "boolean") bad(field);
}
function date(v: unknown, field: string): void {
  if (typeof v !== "string" || Number.isNaN(Date.parse(v))) bad(field);
}
