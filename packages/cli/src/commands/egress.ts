import type { Command } from "commander";
import { registerEgressK8s } from "./egress-k8s.ts";
import { registerEgressNftables } from "./egress-nftables.ts";

/**
 * `edgeward egress`: rules that let a device talk only to its hub (ARCHITECTURE.md promise 3; docs/audit.md):
 * an nftables ruleset for a host, NetworkPolicies for a K3s/Kubernetes namespace. They print to stdout.
 */
export function registerEgress(program: Command): void {
  const egress = program
    .command("egress")
    .description("generate egress rules that allow only the hub: nftables for a host, NetworkPolicy for Kubernetes");
  registerEgressNftables(egress);
  registerEgressK8s(egress);
}
