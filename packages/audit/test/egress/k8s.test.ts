import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { parseAllDocuments } from "yaml";
import { k8sEgressPolicies, k8sEgressYaml, parseCidr } from "@edgeward/audit";
import { throwsWithCode } from "@edgeward/testkit";

// kubernetes-models ships validators generated from the Kubernetes OpenAPI JSON schema of each API object.
function validate(obj: Record<string, unknown>): void {
  new NetworkPolicy(obj).validate();
}

interface Policy {
  spec: { podSelector: object; policyTypes: string[]; egress?: { to: unknown[]; ports: { protocol: unknown }[] }[] };
}

describe("Kubernetes NetworkPolicy egress (promise 3)", () => {
  const options = { namespace: "edge", hubCidrs: ["203.0.113.0/24", "2001:db8::/64"], port: 8443, dns: true };

  it("both policies validate against the Kubernetes networking.k8s.io/v1 NetworkPolicy schema", () => {
    const policies = k8sEgressPolicies(options);
    assert.equal(policies.length, 2);
    for (const p of policies) validate(p);
  });

  it("the first denies all egress, the second allows only the hub's CIDRs and port (and DNS when asked)", () => {
    const [deny, allow] = k8sEgressPolicies(options) as unknown as [Policy, Policy];
    assert.deepEqual(deny.spec, { podSelector: {}, policyTypes: ["Egress"] });
    const egress = allow.spec.egress!;
    assert.deepEqual(egress[0], {
      to: [{ ipBlock: { cidr: "203.0.113.0/24" } }, { ipBlock: { cidr: "2001:db8::/64" } }],
      ports: [{ protocol: "TCP", port: 8443 }],
    });
    assert.equal(egress.length, 2);
    const withoutDns = k8sEgressPolicies({ ...options, dns: false }) as unknown as [Policy, Policy];
    assert.equal(withoutDns[1].spec.egress!.length, 1);
  });

  it("the YAML stream parses back to the same objects", () => {
    const docs = parseAllDocuments(k8sEgressYaml(options)).map((d) => d.toJS() as unknown);
    assert.deepEqual(docs, k8sEgressPolicies(options));
  });

  it("the schema validator is strict: a port of the wrong type fails it", () => {
    const [, allow] = k8sEgressPolicies(options) as unknown as [Policy, Policy];
    allow.spec.egress![0]!.ports[0]!.protocol = 7;
    assert.throws(() => validate(allow as unknown as Record<string, unknown>));
  });

  it("when a CIDR, the namespace or the hub list is invalid, fails with its code", () => {
    for (const bad of ["10.0.0.0/33", "10.0.0/8", "fd00::/129", "example.com/24", "10.0.0.0/8/1"])
      throwsWithCode(() => parseCidr(bad), "EW_ERR_EGRESS_CIDR");
    throwsWithCode(() => k8sEgressPolicies({ ...options, hubCidrs: ["10.0.0.0/40"] }), "EW_ERR_EGRESS_CIDR");
    throwsWithCode(() => k8sEgressPolicies({ ...options, hubCidrs: [] }), "EW_ERR_EGRESS_CIDR");
    throwsWithCode(() => k8sEgressPolicies({ ...options, namespace: "Edge_NS" }), "EW_ERR_USAGE");
  });
});
