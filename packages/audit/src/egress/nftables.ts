/**
 * An nftables ruleset that restricts a device's outbound traffic to the hub (ARCHITECTURE.md promise 3). One
 * `inet` table (IPv4 and IPv6 in one, nftables wiki "Nftables families") with a base chain on the output hook
 * whose policy is drop, so only what a rule accepts leaves the device. Load with `nft -f`; the first two lines make
 * loading it again replace the table instead of adding a second copy of the rules.
 */
import { isIP } from "node:net";
import type { ResolvedEndpoint } from "./endpoint.ts";

/** The table the ruleset defines (the audit looks for it by this name). */
export const EGRESS_TABLE = "edgeward_egress";

/** What the ruleset allows. */
export interface NftablesOptions {
  readonly hub: ResolvedEndpoint;
  readonly allow?: readonly ResolvedEndpoint[];
  /** Allow DNS (UDP and TCP port 53) to any resolver. Off by default: DNS is a common exfiltration channel. */
  readonly dns?: boolean;
  /** Accept all traffic on the loopback interface (default true: the agent serves inference on loopback). */
  readonly loopback?: boolean;
  /** A comment line naming the generator and inputs. */
  readonly comment?: string;
}

/** The ruleset text, for `nft -f`. */
export function nftablesRuleset(options: NftablesOptions): string {
  const rules: string[] = [];
  if (options.loopback !== false) rules.push(`oif "lo" accept comment "loopback: the agent's local API"`);
  // Replies to connections this device opened (or accepted, such as the agent's API) are always allowed.
  rules.push(`ct state established,related accept`);
  rules.push(`ct state invalid drop`);
  // IPv6 neighbour discovery (RFC 4861) must leave the host, or IPv6 stops working on the link.
  rules.push(`icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept`);
  if (options.dns === true) rules.push(`meta l4proto { tcp, udp } th dport 53 accept comment "DNS"`);
  rules.push(...endpointRules(options.hub, "hub"));
  for (const peer of options.allow ?? []) rules.push(...endpointRules(peer, "allow"));
  rules.push(`counter drop comment "everything else"`);
  return [
    "#!/usr/sbin/nft -f",
    `# Edgeward egress policy (ARCHITECTURE.md promise 3). ${options.comment ?? ""}`
      .replace(/[^\x20-\x7e]/g, "")
      .trimEnd(),
    `table inet ${EGRESS_TABLE}`,
    `delete table inet ${EGRESS_TABLE}`,
    `table inet ${EGRESS_TABLE} {`,
    "  chain output {",
    "    type filter hook output priority filter; policy drop;",
    ...rules.map((r) => `    ${r}`),
    "  }",
    "}",
    "",
  ].join("\n");
}

function endpointRules(e: ResolvedEndpoint, why: string): string[] {
  const note = `comment "${why} ${e.host.replace(/[^A-Za-z0-9.:-]/g, "")}:${e.port}"`;
  return e.addresses.map((a) => `${isIP(a) === 6 ? "ip6" : "ip"} daddr ${a} tcp dport ${e.port} accept ${note}`);
}
