import type { Command } from "commander";
import { k8sEgressYaml, parsePort } from "@edgeward/audit";
import { collect } from "../support/keys.ts";

interface K8sOptions {
  namespace: string;
  hubCidr: string[];
  port: string;
  dns?: boolean;
}

/** `edgeward egress k8s --namespace N --hub-cidr CIDR --port P`: prints two NetworkPolicies as YAML. */
export function registerEgressK8s(egress: Command): void {
  egress
    .command("k8s")
    .description("print Kubernetes NetworkPolicies: deny all egress in the namespace, then allow the hub")
    .requiredOption("--namespace <name>", "the namespace the agent runs in")
    .requiredOption("--hub-cidr <cidr>", "the hub's address range, such as 203.0.113.0/24 (repeatable)", collect)
    .requiredOption("--port <port>", "the hub's TCP port")
    .option("--dns", "also allow DNS to the cluster resolver (kube-dns)")
    .action((opts: K8sOptions) => {
      process.stdout.write(
        k8sEgressYaml({
          namespace: opts.namespace,
          hubCidrs: opts.hubCidr,
          port: parsePort(opts.port),
          dns: opts.dns === true,
        }),
      );
    });
}
