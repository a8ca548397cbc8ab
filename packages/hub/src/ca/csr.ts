// Device certificate requests (RFC 2986 PKCS#10): only P-256 keys, and only with a valid proof of possession.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { EdgewardError, wire } from "@edgeward/core";

/** Parses and checks a device's CSR; returns its public key. EW_ERR_DEVICE_CSR_INVALID on anything wrong. */
export async function parseDeviceCsr(pem: string): Promise<x509.PublicKey> {
  if (pem.length > wire.MAX_PEM_CHARS) throw new EdgewardError("EW_ERR_DEVICE_CSR_INVALID", { detail: "too long" });
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch (err) {
    throw new EdgewardError("EW_ERR_DEVICE_CSR_INVALID", { detail: "not a PKCS#10 request", cause: err });
  }
  const alg = csr.publicKey.algorithm as { name?: string; namedCurve?: string };
  if (alg.name !== "ECDSA" || alg.namedCurve !== "P-256")
    throw new EdgewardError("EW_ERR_DEVICE_CSR_INVALID", { detail: "the key is not P-256" });
  let ok = false;
  try {
    ok = await csr.verify();
  } catch (err) {
    throw new EdgewardError("EW_ERR_DEVICE_CSR_INVALID", { detail: "signature unreadable", cause: err });
  }
  if (!ok) throw new EdgewardError("EW_ERR_DEVICE_CSR_INVALID", { detail: "signature does not verify" });
  return csr.publicKey;
}
