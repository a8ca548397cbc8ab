/**
 * The device API's client (the hub <-> agent contract in core's wire schemas), over the allow-listed egress client.
 * Every answer is hostile input: a non-2xx answer becomes EW_ERR_AGENT_HUB_REFUSED carrying the hub's code (a 429 or
 * 503 with Retry-After: EW_ERR_AGENT_HUB_BUSY with the wait, hub/retry-after.ts), and a 2xx answer must match the route's response schema or it is EW_ERR_AGENT_HUB_RESPONSE.
 */
import type { IncomingMessage } from "node:http";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { EdgewardError, wire } from "@edgeward/core";
import type { EgressClient, EgressResponse } from "../net/egress.ts";
import { hubBusy, parseRetryAfter } from "./retry-after.ts";

const ajv = new Ajv({ strict: false, allErrors: false });
(addFormatsModule as unknown as (a: Ajv) => void)(ajv);
const checkers = new Map<object, ValidateFunction>();
/** How much longer than its `wait` a long poll may take before the agent gives up on the answer. */
const LONG_POLL_GRACE_MS = 10_000;

/** The hub's code from a refusal (the detail of EW_ERR_AGENT_HUB_REFUSED starts with it). */
export function hubCodeOf(err: unknown): string | undefined {
  if (!(err instanceof EdgewardError) || err.code !== "EW_ERR_AGENT_HUB_REFUSED") return undefined;
  return /^(EW_ERR_[A-Z0-9_]+)/.exec(err.detail ?? "")?.[1];
}

/** Calls the device API of one hub. */
export class HubClient {
  readonly base: string;
  readonly #egress: EgressClient;

  constructor(egress: EgressClient, hubUrl: string) {
    this.#egress = egress;
    this.base = hubUrl.replace(/\/+$/, "");
  }

  /** GET /v1/hub: the hub's public facts (log key, TUF root, CA). */
  hubInfo(): Promise<wire.HubInfoResponse> {
    return this.#call("GET", wire.HUB_INFO_PATH, undefined, wire.hubInfoResponseSchema);
  }

  enrol(body: wire.EnrolRequest): Promise<wire.EnrolResponse> {
    return this.#call("POST", wire.DEVICE_ROUTES.enrol.path, body, wire.enrolResponseSchema);
  }

  activate(body: wire.ActivateRequest): Promise<wire.ActivateResponse> {
    return this.#call("POST", wire.DEVICE_ROUTES.activate.path, body, wire.activateResponseSchema);
  }

  challenge(body: wire.ChallengeRequest): Promise<wire.ChallengeResponse> {
    return this.#call("POST", wire.DEVICE_ROUTES.challenge.path, body, wire.challengeResponseSchema);
  }

  quote(body: wire.QuoteRequest): Promise<wire.QuoteResponse> {
    return this.#call("POST", wire.DEVICE_ROUTES.quote.path, body, wire.quoteResponseSchema);
  }

  releaseKey(releaseId: string): Promise<wire.ReleaseKeyResponse> {
    const path = wire.DEVICE_ROUTES.releaseKey.path.replace(":releaseId", encodeURIComponent(releaseId));
    return this.#call("POST", path, {}, wire.releaseKeyResponseSchema);
  }

  shipLog(body: wire.DeviceLogRequest): Promise<wire.DeviceLogResponse> {
    return this.#call("POST", wire.DEVICE_ROUTES.log.path, body, wire.deviceLogResponseSchema);
  }

  tamper(body: wire.TamperRequest): Promise<wire.TamperResponse> {
    return this.#call("POST", wire.DEVICE_ROUTES.tamper.path, body, wire.tamperResponseSchema);
  }

  /** POST /v1/device/audit: the hub keeps the latest report per device. */
  audit(body: wire.AuditReportRequest): Promise<wire.AuditReportResponse> {
    return this.#call("POST", wire.DEVICE_ROUTES.audit.path, body, wire.auditReportResponseSchema);
  }

  /** POST /v1/device/review: one sealed review entry; the answer acknowledges its id and SHA-256. */
  shipReview(body: wire.ReviewShipRequest): Promise<wire.ReviewShipResponse> {
    return this.#call("POST", wire.REVIEW_ROUTES.ship.path, body, wire.reviewShipResponseSchema);
  }

  /**
   * GET /v1/device/releases: what is rolled out to this device's group, newest first (a hint; TUF decides). With
   * `wait`, a long poll: the hub holds an empty listing open up to that many seconds (docs/releases.md
   * "Following releases"), so the request's own timeout runs that much longer.
   */
  deviceReleases(
    query: { name?: string; limit?: number; after?: string; wait?: number } = {},
  ): Promise<wire.DeviceReleasesResponse> {
    const q = new URLSearchParams();
    if (query.name !== undefined) q.set("name", query.name);
    if (query.limit !== undefined) q.set("limit", String(query.limit));
    if (query.after !== undefined) q.set("after", query.after);
    if (query.wait !== undefined) q.set("wait", String(query.wait));
    const path = `${wire.DEVICE_RELEASES_PATH}${q.size === 0 ? "" : `?${q.toString()}`}`;
    const timeoutMs = query.wait === undefined ? undefined : query.wait * 1000 + LONG_POLL_GRACE_MS;
    return this.#call("GET", path, undefined, wire.deviceReleasesResponseSchema, timeoutMs);
  }

  /** The URL of a TUF metadata file or target (tuf-js and the downloader fetch them). */
  url(kind: "tuf" | "targets", name: string): string {
    return `${this.base}/v1/device/${kind}/${name.split("/").map(encodeURIComponent).join("/")}`;
  }

  /** GET any URL on the hub (the TUF fetcher's metadata); the caller reads or drains the answer. */
  get(url: string): Promise<IncomingMessage> {
    return this.#egress.stream(url);
  }

  /** GET any URL on the hub, its answer (any status) read into memory up to `maxBytes` (EW_ERR_INPUT_TOO_LARGE). */
  getBytes(url: string, maxBytes: number): Promise<EgressResponse> {
    return this.#egress.fetch(url, { maxBytes });
  }

  /** GET a target from `offset` (an HTTP Range request past 0). */
  target(name: string, offset: number): Promise<IncomingMessage> {
    return this.#egress.stream(this.url("targets", name), offset > 0 ? { headers: { range: `bytes=${offset}-` } } : {});
  }

  /** Closes the idle connections now, the busy ones when their request ends (a client replaced by another). */
  release(): void {
    this.#egress.release();
  }

  /** Closes every connection. */
  close(): void {
    this.#egress.close();
  }

  async #call<T>(method: "GET" | "POST", path: string, body: unknown, schema: object, timeoutMs?: number): Promise<T> {
    const res = await this.#egress.fetch(`${this.base}${path}`, {
      method,
      ...(body === undefined ? {} : { json: body }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body.toString("utf8"));
    } catch {
      parsed = undefined;
    }
    if (res.status < 200 || res.status > 299) {
      const e = parsed as { code?: unknown; message?: unknown } | undefined;
      const code = typeof e?.code === "string" && /^EW_ERR_[A-Z0-9_]+$/.test(e.code) ? e.code : `HTTP ${res.status}`;
      // "Come back then" (docs/hub.md "Overload"): not a refusal, and not a failed attestation.
      const wait =
        res.status === 429 || res.status === 503 ? parseRetryAfter(res.headers["retry-after"], new Date()) : undefined;
      if (wait !== undefined) throw hubBusy(code, wait, `${method} ${path}`);
      throw new EdgewardError("EW_ERR_AGENT_HUB_REFUSED", { detail: `${code} (${method} ${path})` });
    }
    let check = checkers.get(schema);
    if (check === undefined) {
      check = ajv.compile(schema);
      checkers.set(schema, check);
    }
    if (parsed === undefined || !check(parsed))
      throw new EdgewardError("EW_ERR_AGENT_HUB_RESPONSE", { detail: `${method} ${path}` });
    return parsed as T;
  }
}
