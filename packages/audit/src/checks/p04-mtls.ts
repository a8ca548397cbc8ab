/**
 * Promise 4: mTLS between edge and cloud. The hub URL is https, and the device certificate is present, within its
 * validity period, and issued by the hub CA the agent trusts (RFC 5280 §6: signature and issuer name).
 */
import { X509Certificate } from "node:crypto";
import type { AuditContext, Verdict } from "./check.ts";

/** mTLS to the hub with a valid, unexpired device certificate. */
export async function auditMtls(ctx: AuditContext): Promise<Verdict> {
  const evidence: string[] = [];
  const url = ctx.state?.hub?.url;
  evidence.push(`hub URL: ${url ?? "none in state.json"}`);
  if (url === undefined || !url.startsWith("https://")) return { status: "fail", evidence };
  const cert = ctx.state?.cert;
  const pem = cert === undefined ? undefined : await ctx.stateDir?.text(`/${cert.file}`);
  if (cert === undefined || pem === undefined) {
    evidence.push(
      `device certificate: ${cert === undefined ? "none in state.json (cert.file)" : `${cert.file} unreadable`}`,
    );
    return { status: "fail", evidence };
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pem);
  } catch {
    return { status: "fail", evidence: [...evidence, `device certificate ${cert.file}: not a PEM certificate`] };
  }
  const from = new Date(x509.validFrom);
  const to = new Date(x509.validTo);
  evidence.push(
    `device certificate ${cert.file}: ${x509.subject.replace(/\n/g, ", ")}; valid ${from.toISOString()} to ${to.toISOString()}`,
  );
  let ok = true;
  if (ctx.now < from || ctx.now > to) {
    evidence.push(`expired or not yet valid at ${ctx.now.toISOString()}`);
    ok = false;
  }
  const caPem = cert.caFile === undefined ? undefined : await ctx.stateDir?.text(`/${cert.caFile}`);
  if (caPem === undefined) {
    evidence.push("hub CA: none (cert.caFile), so the issuer is unchecked");
    ok = false;
  } else if (!issuedBy(x509, caPem)) {
    evidence.push(`hub CA ${cert.caFile}: did not issue this certificate`);
    ok = false;
  } else evidence.push(`hub CA ${cert.caFile}: issued it (signature verified)`);
  return { status: ok ? "pass" : "fail", evidence };
}

function issuedBy(cert: X509Certificate, caPem: string): boolean {
  try {
    const ca = new X509Certificate(caPem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}
