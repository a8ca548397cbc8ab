// The device CA (ARCHITECTURE.md "device identity"; promise 4): a P-256 CA that issues short-lived device
// certificates (X.509 v3, RFC 5280) from a PKCS#10 request, naming the device in a URI SAN, and a CRL for outside
// relying parties. The TLS handshake never depends on the CRL: the deny list does that job (deny-list.ts).
import "reflect-metadata";
import { webcrypto, randomBytes } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { EdgewardError } from "@edgeward/core";
import { parseDeviceCsr } from "./csr.ts";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGN = { name: "ECDSA", hash: "SHA-256" } as const;

/** The URI SAN prefix of a device certificate: `urn:edgeward:device:<id>`. */
export const DEVICE_URI_PREFIX = "urn:edgeward:device:";
/** Default device certificate lifetime: 24 h. */
export const DEFAULT_DEVICE_CERT_LIFETIME_MS = 24 * 3600_000;

/** A newly created CA's key and certificate, PEM. */
export interface DeviceCaFiles {
  readonly keyPem: string;
  readonly certificatePem: string;
}

/** An issued device certificate. */
export interface IssuedCertificate {
  readonly pem: string;
  /** Serial number, lowercase hex. */
  readonly serial: string;
  readonly notAfter: Date;
}

/** Creates a device CA: a P-256 key and a self-signed certificate valid `years` (default 10) from `now`. */
export async function createDeviceCa(now: Date, name = "Edgeward device CA", years = 10): Promise<DeviceCaFiles> {
  const keys = await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + years * 365 * 24 * 3600_000),
    keys,
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  return { keyPem: x509.PemConverter.encode(pkcs8, "PRIVATE KEY"), certificatePem: cert.toString("pem") };
}

/** The loaded device CA. */
export class DeviceCa {
  readonly certificate: x509.X509Certificate;
  readonly certificatePem: string;
  readonly #key: webcrypto.CryptoKey;

  private constructor(certificate: x509.X509Certificate, key: webcrypto.CryptoKey) {
    this.certificate = certificate;
    this.certificatePem = certificate.toString("pem");
    this.#key = key;
  }

  /** Loads the CA from its PEM files' text; EW_ERR_CA_STATE when either is unreadable. */
  static async load(files: DeviceCaFiles): Promise<DeviceCa> {
    try {
      const cert = new x509.X509Certificate(files.certificatePem);
      const der = x509.PemConverter.decodeFirst(files.keyPem);
      const key = await webcrypto.subtle.importKey("pkcs8", der, EC, false, ["sign"]);
      return new DeviceCa(cert, key);
    } catch (err) {
      throw new EdgewardError("EW_ERR_CA_STATE", { cause: err });
    }
  }

  /**
   * Issues a device certificate for the P-256 key in `csrPem` (its proof of possession checked), valid from
   * `now` for `lifetimeMs`. The subject and SAN come from the hub, never from the request.
   */
  async issue(csrPem: string, deviceId: string, now: Date, lifetimeMs = DEFAULT_DEVICE_CERT_LIFETIME_MS) {
    const publicKey = await parseDeviceCsr(csrPem);
    const notAfter = new Date(now.getTime() + lifetimeMs);
    const sn = serial();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: sn,
      subject: `CN=${deviceId}`,
      issuer: this.certificate.subjectName,
      // A minute of slack for device clocks a little behind the hub's.
      notBefore: new Date(now.getTime() - 60_000),
      notAfter,
      publicKey,
      signingKey: this.#key,
      signingAlgorithm: SIGN,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
        new x509.SubjectAlternativeNameExtension([{ type: "url", value: `${DEVICE_URI_PREFIX}${deviceId}` }], false),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate, false),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
      ],
    });
    const issued: IssuedCertificate = { pem: cert.toString("pem"), serial: sn, notAfter };
    return issued;
  }

  /** A CRL (RFC 5280 §5) of the revoked serials, valid from `now` until `nextUpdateMs` later (default 1 day). */
  async crl(revoked: ReadonlyArray<{ serial: string; at: string }>, now: Date, nextUpdateMs = 24 * 3600_000) {
    const crl = await x509.X509CrlGenerator.create({
      issuer: this.certificate.subjectName,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + nextUpdateMs),
      signingKey: this.#key,
      signingAlgorithm: SIGN,
      // Each entry carries a reason code (RFC 5280 §5.3.1); without one the library writes an empty
      // crlEntryExtensions SEQUENCE, which §5.1.2.6 sizes 1..MAX.
      entries: revoked.map((r) => ({
        serialNumber: r.serial,
        revocationDate: new Date(r.at),
        reason: x509.X509CrlReason.cessationOfOperation,
      })),
      extensions: [await x509.AuthorityKeyIdentifierExtension.create(this.certificate, false)],
    });
    // RFC 7468 §6: the label is "X509 CRL" (the library writes "CRL", which openssl does not read).
    return x509.PemConverter.encode(crl.rawData, "X509 CRL");
  }
}

/** A positive 127-bit serial, hex (RFC 5280 §4.1.2.2: positive, at most 20 octets). */
function serial(): string {
  const b = randomBytes(16);
  b[0] = ((b[0] ?? 0) & 0x7f) | 0x01;
  return b.toString("hex");
}
