/**
 * Promise 3: network egress restricted. A base chain on the output hook must drop by default (nftables evaluates
 * every base chain at a hook and a drop in any is final, so one such chain restricts the host whatever other
 * tables accept), and what it accepts must be only the hub, the peers state.json allows, loopback, replies and
 * neighbour discovery (DNS is reported).
 */
import { isIP } from "node:net";
import { parseHubUrl } from "../egress/endpoint.ts";
import type { AuditContext, Verdict } from "./check.ts";
import { outputChains, type AcceptRule } from "./nft-json.ts";

/** Egress restricted to the hub (nftables output policy). */
export async function auditEgress(ctx: AuditContext): Promise<Verdict> {
  const text = await ctx.nftRuleset();
  const source = `nftables ruleset (${ctx.nftRulesetSource ?? "loaded"})`;
  if (text === undefined)
    return { status: "fail", evidence: [`${source}: cannot be read (nft missing, no permission or no file)`] };
  const chains = outputChains(text);
  if (chains === undefined) return { status: "fail", evidence: [`${source}: not nft JSON`] };
  const dropping = chains.filter((c) => c.policy === "drop");
  const evidence = [
    `${source}: ${chains.length} output-hook chain(s)`,
    ...chains.map((c) => `chain ${c.family} ${c.table} ${c.name}: hook output, policy ${c.policy}`),
  ];
  if (dropping.length === 0)
    return { status: "fail", evidence: [...evidence, "no output chain drops by default: all egress is allowed"] };
  const allowed = allowedDestinations(ctx);
  const extra: string[] = [];
  let unbounded = false;
  for (const chain of dropping)
    for (const rule of chain.accepts) {
      evidence.push(`  ${chain.table}/${chain.name} accepts ${describe(rule)}`);
      if (rule.kind === "any") unbounded = true;
      const key = `${rule.address}:${rule.port}`;
      if (rule.kind === "destination" && !allowed.hub.has(key) && !allowed.peers.has(key)) extra.push(key);
    }
  if (unbounded) extra.unshift("a rule accepting traffic this audit cannot bound");
  if (extra.length > 0) evidence.push(`allowed beyond the hub: ${extra.join(", ")}`);
  if (allowed.hub.size === 0) {
    evidence.push("state.json names no hub address (hub.url, hub.addresses), so the hub's rule cannot be identified");
    return { status: unbounded ? "fail" : "warn", evidence };
  }
  // A drop in any base chain is final, so the hub must be accepted by every chain that drops by default.
  const hubAllowed = dropping.every((c) =>
    c.accepts.some((r) => r.kind === "destination" && allowed.hub.has(`${r.address}:${r.port}`)),
  );
  if (!hubAllowed) evidence.push(`the hub (${[...allowed.hub].join(", ")}) is not allowed: the agent cannot reach it`);
  return { status: hubAllowed && extra.length === 0 ? "pass" : "fail", evidence };
}

/** The hub's address:port pairs and the other allowed peers', from state.json. */
function allowedDestinations(ctx: AuditContext): { hub: Set<string>; peers: Set<string> } {
  const hub = new Set<string>();
  const peers = new Set<string>();
  const h = ctx.state?.hub;
  if (h === undefined) return { hub, peers };
  try {
    const { host, port } = parseHubUrl(h.url);
    for (const a of isIP(host) !== 0 ? [host] : (h.addresses ?? [])) hub.add(`${a}:${port}`);
  } catch {
    // A malformed hub URL leaves the hub set empty, which the check reports.
  }
  for (const p of h.allow ?? []) peers.add(p.replace(/^\[(.*)\]:/, "$1:"));
  return { hub, peers };
}

function describe(rule: AcceptRule): string {
  return rule.kind === "destination" ? `${rule.address} port ${rule.port}` : rule.kind;
}
