import type { Command } from "commander";
import { registerHubDevices } from "./hub-devices.ts";
import { registerHubEnrolToken } from "./hub-enrol-token.ts";
import { registerHubGroups } from "./hub-groups.ts";
import { registerHubInit } from "./hub-init.ts";
import { registerHubLog } from "./hub-log.ts";
import { registerHubPublishers } from "./hub-publishers.ts";
import { registerHubReleases } from "./hub-releases.ts";
import { registerHubReview } from "./hub-review.ts";
import { registerHubServe } from "./hub-serve.ts";
import { registerHubToken } from "./hub-token.ts";
import { registerHubTokens } from "./hub-tokens.ts";
import { registerHubTuf } from "./hub-tuf.ts";

/**
 * `edgeward hub`: the control plane (ARCHITECTURE.md, hub). `init`, `serve` and `token create` work on the hub's
 * directory; the other subcommands are clients of a running hub's operator API (`--hub URL --token T --ca FILE`).
 */
export function registerHub(program: Command): void {
  const hub = program.command("hub").description("the hub: init, serve, tokens, and the operator API's client");
  registerHubInit(hub);
  registerHubServe(hub);
  registerHubToken(hub);
  registerHubTokens(hub);
  registerHubDevices(hub);
  registerHubGroups(hub);
  registerHubReleases(hub);
  registerHubLog(hub);
  registerHubReview(hub);
  registerHubEnrolToken(hub);
  registerHubTuf(hub);
  registerHubPublishers(hub);
}
