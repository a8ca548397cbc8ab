/**
 * Reads a loaded nftables ruleset from `nft -j list ruleset` (libnftables-json(5)) for the egress check: the base
 * chains on the output hook, and what each of their accepting rules lets out. Only the shapes the egress
 * generator and common hand-written rules use are understood; any other accepting rule is reported as such.
 */

/** A base chain on the output hook. */
export interface OutputChain {
  readonly family: string;
  readonly table: string;
  readonly name: string;
  readonly policy: string;
  readonly accepts: readonly AcceptRule[];
}

/** What one accepting rule lets out. */
export interface AcceptRule {
  /** `loopback`, `established`, `neighbour-discovery`, `dns`, `destination`, or `any` for what is not understood. */
  readonly kind: "loopback" | "established" | "neighbour-discovery" | "dns" | "destination" | "any";
  readonly address?: string;
  readonly port?: number;
}

type Json = Record<string, unknown>;

/** The output-hook base chains of a ruleset in JSON form; undefined when the text is not nft JSON. */
export function outputChains(text: string): OutputChain[] | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const items = (doc as Json | null)?.["nftables"];
  if (!Array.isArray(items)) return undefined;
  const chains: (OutputChain & { accepts: AcceptRule[] })[] = [];
  for (const item of items as Json[]) {
    const c = item["chain"] as Json | undefined;
    if (c?.["hook"] === "output")
      chains.push({
        family: String(c["family"]),
        table: String(c["table"]),
        name: String(c["name"]),
        policy: typeof c["policy"] === "string" ? c["policy"] : "accept",
        accepts: [],
      });
  }
  for (const item of items as Json[]) {
    const r = item["rule"] as Json | undefined;
    const chain = chains.find((c) => c.family === r?.["family"] && c.table === r["table"] && c.name === r["chain"]);
    const expr = r?.["expr"];
    if (chain === undefined || !Array.isArray(expr)) continue;
    const rule = acceptRule(expr as Json[]);
    if (rule !== undefined) chain.accepts.push(rule);
  }
  return chains;
}

function acceptRule(expr: readonly Json[]): AcceptRule | undefined {
  // A jump or goto hands the packet to a regular chain whose accepts this reading does not follow: unbounded.
  if (expr.some((e) => "jump" in e || "goto" in e)) return { kind: "any" };
  if (!expr.some((e) => "accept" in e)) return undefined;
  const matches = expr.map((e) => e["match"] as Json | undefined).filter((m) => m !== undefined);
  let address: string | undefined;
  let port: number | undefined;
  let kind: AcceptRule["kind"] | undefined;
  for (const m of matches) {
    // Only positive matches bound a rule: `ip daddr != X accept` lets out everything but X.
    if (m["op"] !== "==" && m["op"] !== "in") return { kind: "any" };
    const left = m["left"] as Json;
    const right = m["right"];
    const payload = left["payload"] as Json | undefined;
    const meta = left["meta"] as Json | undefined;
    if (meta?.["key"] === "oifname" || meta?.["key"] === "oif") kind = right === "lo" ? "loopback" : kind;
    else if (left["ct"] !== undefined) kind = stateOnly(right) ? "established" : kind;
    else if (payload?.["protocol"] === "icmpv6" && neighbourDiscovery(right)) kind = "neighbour-discovery";
    else if (payload?.["field"] === "daddr" && typeof right === "string") address = right;
    else if (payload?.["field"] === "dport" && typeof right === "number") port = right;
  }
  if (kind !== undefined) return { kind };
  if (port === 53 && address === undefined) return { kind: "dns" };
  if (address !== undefined && port !== undefined) return { kind: "destination", address, port };
  return { kind: "any" };
}

function stateOnly(right: unknown): boolean {
  const states = Array.isArray(right) ? right : [right];
  return states.length > 0 && states.every((s) => s === "established" || s === "related");
}

// RFC 4861 message types (nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert…), one or a set of them.
function neighbourDiscovery(right: unknown): boolean {
  const set = (right as Json | null)?.["set"];
  const types = Array.isArray(set) ? (set as unknown[]) : [right];
  return types.length > 0 && types.every((t) => typeof t === "string" && t.startsWith("nd-"));
}
