// @edgeward/audit: the device audit (`edgeward audit`, one check per promise of ARCHITECTURE.md) and the egress
// rule generators of promise 3 (nftables, Kubernetes NetworkPolicy). docs/audit.md describes both.
export {
  parseCidr,
  parseHostPort,
  parseHubUrl,
  parsePort,
  type Endpoint,
  type ResolvedEndpoint,
} from "./egress/endpoint.ts";
export { resolveEndpoints, systemResolver, type Resolver } from "./egress/resolve.ts";
export { EGRESS_TABLE, nftablesRuleset, type NftablesOptions } from "./egress/nftables.ts";
export { k8sEgressPolicies, k8sEgressYaml, type K8sPolicyOptions, type NetworkPolicyObject } from "./egress/k8s.ts";
export { HostView } from "./host/host-view.ts";
export { classifyFile, type FileKind } from "./host/classify.ts";
export { parseState, type AuditState, type GuardConfigFile, type GuardInRelease } from "./state/state.ts";
export type { AuditContext, Check, CheckResult, CheckStatus, Verdict } from "./checks/check.ts";
export { CHECKS } from "./checks/index.ts";
export {
  DEFAULT_STATE_DIR,
  FAKE_NFT_RULESET,
  REPORT_VERSION,
  runAudit,
  type AuditReport,
  type RunAuditOptions,
} from "./run.ts";
export { renderText } from "./report/text.ts";
export { renderSarif } from "./report/sarif.ts";
export { renderHtml } from "./report/html.ts";
export { AUDIT_REPORT_SCHEMA } from "./report/schema.ts";
