import type { FastifyPluginAsync } from "fastify";
import { auditLogPlugin } from "./features/audit-log.ts";
import { devicePlugin } from "./device/routes.ts";
import { devicesPlugin } from "./features/devices.ts";
import { enrolTokensPlugin } from "./features/enrol-tokens.ts";
import { groupsPlugin } from "./features/groups.ts";
import { healthPlugin } from "./features/health.ts";
import { hubFactsPlugin } from "./features/hub-facts.ts";
import { tokensPlugin } from "./features/tokens.ts";
import { releasesPlugin } from "./releases/plugin.ts";
import { reviewPlugin } from "./review/plugin.ts";

/** One feature of the hub: an encapsulated Fastify plugin, mounted under `prefix`. */
export interface Feature {
  readonly name: string;
  readonly plugin: FastifyPluginAsync;
  readonly prefix?: string;
}

/**
 * Every feature of the hub, one line each (as packages/cli/src/commands/index.ts lists commands). Plugins never
 * import each other; they share only `app.hub` (the injected dependencies) and the store's tables.
 */
export const FEATURES: readonly Feature[] = [
  { name: "health", plugin: healthPlugin },
  { name: "hub-facts", plugin: hubFactsPlugin, prefix: "/v1" },
  { name: "tokens", plugin: tokensPlugin, prefix: "/v1" },
  { name: "groups", plugin: groupsPlugin, prefix: "/v1" },
  { name: "devices", plugin: devicesPlugin, prefix: "/v1" },
  { name: "enrol-tokens", plugin: enrolTokensPlugin, prefix: "/v1" },
  { name: "device", plugin: devicePlugin, prefix: "/v1" },
  { name: "audit-log", plugin: auditLogPlugin, prefix: "/v1" },
  { name: "releases", plugin: releasesPlugin, prefix: "/v1" },
  { name: "review", plugin: reviewPlugin, prefix: "/v1" },
];
