import type { FastifyBaseLogger, FastifyRequest } from "fastify";
import type { HubAuditLog } from "./audit/hub-log.ts";
import type { BlobStore } from "./blobs/blob-store.ts";
import type { wire } from "@edgeward/core";
import type { ReleaseFeed } from "./releases/release-feed.ts";
import type { ReleasesService } from "./releases/service.ts";
import type { ReviewLimits } from "./review/review-limits.ts";
import type { DeviceRecord } from "./device/types.ts";
import type { HubStore } from "./store/hub-store.ts";
import type { OverloadLimits, PressureSource } from "./http/overload.ts";

/** The time source; injected so expiry, freshness and renewal are tested without sleeping (STYLE.md). */
export interface Clock {
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };

/** What the hub publishes at GET /v1/hub for operators, publishers and devices to pin. */
export interface HubFacts {
  /** The device CA's certificate, PEM (also the trust anchor of the hub's own TLS certificate). */
  readonly caCertificate: string;
  /** The age recipient publishers wrap each release's file key to (escrow). */
  readonly escrowRecipient: string;
  /** The hub log's verifier key (c2sp.org/signed-note). */
  readonly logVerifierKey: string;
  /** The TUF root devices start from (1.root.json), as JSON. */
  readonly tufRoot: Record<string, unknown>;
  /** The OMS publisher keys (SPKI PEM) whose release signatures the hub accepts, for agents to pin. */
  readonly publisherKeys?: readonly string[];
}

/** Who a device request comes from, once the device authenticator accepted it. */
export interface DeviceIdentity {
  readonly deviceId: string;
  /** The client certificate's serial (hex), when the device presented one. */
  readonly certificateSerial?: string;
  /** The device as the deny list read it for this request (absent when its answer came from a cache). */
  readonly record?: DeviceRecord;
}

/**
 * Authenticates a device request (mTLS with a hub-issued certificate, plus the deny list). `mode` is the route's
 * requirement: "required" routes must get an identity or throw; "optional" routes (attestation, which also renews an
 * expired certificate) may get null; "none" routes (enrolment) are not passed here.
 */
export type DeviceAuthenticator = (
  request: FastifyRequest,
  mode: "required" | "optional",
) => Promise<DeviceIdentity | null>;

/** Limits on what the hub accepts. */
export interface HubLimits {
  /** Largest JSON body on any route that does not set its own (bytes; default 64 KiB). */
  readonly bodyLimit: number;
  /** When device requests are shed with 503 EW_ERR_HUB_OVERLOADED (http/overload.ts; docs/hub.md "Overload"). */
  readonly overload: Partial<OverloadLimits>;
}

/**
 * Everything the hub's app needs, injected (STYLE.md, long-running processes). Each feature plugin reads its
 * dependencies from `app.hub`; each dependency with a `close()` is closed by the app's onClose hook, in reverse
 * order of use (audit log, then store). Features that need more (the CA, the TUF repository, the escrow identity)
 * add their field here.
 */
export interface HubDeps {
  readonly store: HubStore;
  readonly clock: Clock;
  readonly logger: FastifyBaseLogger;
  readonly blobs: BlobStore;
  readonly audit: HubAuditLog;
  readonly facts: () => Promise<HubFacts>;
  readonly deviceAuth: DeviceAuthenticator;
  readonly limits?: Partial<HubLimits>;
  /** The overload check's pressure readings; default: this process's event loop and the store's queue. */
  readonly pressure?: PressureSource;
  /** Uniform in [0, 1): the jitter of Retry-After; default Math.random. */
  readonly random?: () => number;
  /** Releases: the TUF repository, the release store and the escrow identity; release routes answer 503 without. */
  readonly releases?: ReleasesService;
  /**
   * The device listing's long polls (releases/release-feed.ts); default: one that polls the database's release
   * marker every second while anyone waits. Closed (its waiters answered) when the app closes.
   */
  readonly releaseFeed?: ReleaseFeed<wire.DeviceRelease>;
  /** Review entries' quota, fleet cap and retention (hub.json `review`); the defaults without. */
  readonly review?: ReviewLimits;
}
