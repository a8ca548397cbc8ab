/**
 * Kubernetes (and K3s) NetworkPolicies that restrict a namespace's egress to the hub (ARCHITECTURE.md promise 3;
 * Kubernetes API networking.k8s.io/v1 NetworkPolicy). Two objects, as the Kubernetes documentation recommends
 * ("Default policies"): one selecting every pod with Egress in policyTypes and no egress rule (default deny), and
 * one allowing TCP to the hub's CIDRs and port. Policies are additive, so the second opens only the hub.
 */
import { stringify } from "yaml";
import { EdgewardError } from "@edgeward/core";
import { parseCidr } from "./endpoint.ts";

/** What the policies allow. */
export interface K8sPolicyOptions {
  readonly namespace: string;
  readonly hubCidrs: readonly string[];
  readonly port: number;
  /** Allow DNS to the cluster's resolver (pods labelled k8s-app=kube-dns in any namespace). */
  readonly dns?: boolean;
}

/** A NetworkPolicy object as plain JSON. */
export type NetworkPolicyObject = Record<string, unknown>;

/** The two NetworkPolicy objects. CIDRs are checked (EW_ERR_EGRESS_CIDR); the namespace must be a DNS label. */
export function k8sEgressPolicies(options: K8sPolicyOptions): NetworkPolicyObject[] {
  // A namespace name is an RFC 1123 label (Kubernetes "Object Names and IDs").
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(options.namespace))
    throw new EdgewardError("EW_ERR_USAGE", { detail: `namespace ${JSON.stringify(options.namespace)}` });
  if (options.hubCidrs.length === 0) throw new EdgewardError("EW_ERR_EGRESS_CIDR", { detail: "no hub CIDR" });
  const cidrs = options.hubCidrs.map((c) => {
    const { address, prefix } = parseCidr(c);
    return `${address}/${prefix}`;
  });
  const metadata = (name: string): Record<string, unknown> => ({
    name,
    namespace: options.namespace,
    labels: { "app.kubernetes.io/managed-by": "edgeward" },
  });
  const egress: Record<string, unknown>[] = [
    { to: cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: options.port }] },
  ];
  if (options.dns === true)
    egress.push({
      to: [{ namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
      ports: [
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
      ],
    });
  return [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: metadata("edgeward-default-deny-egress"),
      spec: { podSelector: {}, policyTypes: ["Egress"] },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: metadata("edgeward-allow-hub"),
      spec: { podSelector: {}, policyTypes: ["Egress"], egress },
    },
  ];
}

/** The policies as a multi-document YAML stream for `kubectl apply -f -`. */
export function k8sEgressYaml(options: K8sPolicyOptions): string {
  return k8sEgressPolicies(options)
    .map((p) => `---\n${stringify(p)}`)
    .join("");
}
