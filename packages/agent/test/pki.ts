/**
 * A throwaway PKI for TLS tests, made with openssl (a second implementation): a CA, a server certificate for
 * 127.0.0.1 and localhost, and client certificates issued from the agent's own CSRs.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The CA and server credentials. */
export interface TestPki {
  readonly caPem: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Issues a client certificate for a PEM CSR (the agent's), valid `days` days. */
  issue(csrPem: string, days?: number): string;
}

const NEW_P256_KEY = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout".split(" ");

/** Makes a PKI in `dir`. */
export function makeTestPki(dir: string): TestPki {
  const f = (n: string) => join(dir, n);
  const ossl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
  const signCsr = (csr: string, out: string, days: number, ...extra: string[]) =>
    ossl(
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      f("ca.pem"),
      "-CAkey",
      f("ca.key"),
      "-CAcreateserial",
      "-out",
      out,
      "-days",
      String(days),
      ...extra,
    );
  ossl("req", "-x509", ...NEW_P256_KEY, f("ca.key"), "-out", f("ca.pem"), "-days", "2", "-subj", "/CN=test hub CA");
  ossl("req", ...NEW_P256_KEY, f("server.key"), "-out", f("server.csr"), "-subj", "/CN=hub");
  writeFileSync(f("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  signCsr(f("server.csr"), f("server.pem"), 2, "-extfile", f("server.ext"));
  let n = 0;
  return {
    caPem: readFileSync(f("ca.pem"), "utf8"),
    serverCert: readFileSync(f("server.pem"), "utf8"),
    serverKey: readFileSync(f("server.key"), "utf8"),
    issue(csrPem, days = 1) {
      const csr = f(`client${++n}.csr`);
      writeFileSync(csr, csrPem);
      signCsr(csr, f(`client${n}.pem`), days);
      return readFileSync(f(`client${n}.pem`), "utf8");
    },
  };
}
