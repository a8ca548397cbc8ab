// Type augmentation of Fastify for the hub: the injected dependencies, the route's auth and audit settings, and
// who a request comes from.
import type { Registry } from "prom-client";
import type { JsonValue } from "@edgeward/tlog";
import type { DeviceIdentity, HubDeps } from "../deps.ts";
import type { Role } from "../store/tokens.ts";
import type { RouteAuth, RouteInfo } from "./route-auth.ts";

/** The operator a bearer token identified. */
export interface OperatorIdentity {
  readonly tokenId: string;
  readonly role: Role;
}

/** What the audit hook records for a successful mutating operator call; handlers may fill it in. */
export interface AuditNote {
  subject?: string;
  details: Record<string, JsonValue>;
}

declare module "fastify" {
  interface FastifyInstance {
    /** The injected dependencies. */
    hub: HubDeps;
    /** Every route registered so far, with its auth (for the route × role matrix and docs). */
    hubRoutes: RouteInfo[];
    /** The Prometheus registry of this app. */
    metrics: Registry;
  }
  interface FastifyRequest {
    operator: OperatorIdentity | null;
    device: DeviceIdentity | null;
    auditNote: AuditNote;
  }
  interface FastifyContextConfig {
    auth?: RouteAuth;
    /** The audit kind of a mutating operator route (lowercase dotted, e.g. "device.quarantine"). */
    auditKind?: string;
  }
}
