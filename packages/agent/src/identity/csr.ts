/**
 * A PKCS#10 certification request (RFC 2986 §4) for the device's mTLS key, signed with ECDSA P-256 / SHA-256
 * (RFC 5758 §3.2). The hub ignores the subject and issues the certificate to the attested device; the request
 * proves possession of the key.
 */
import { createPublicKey, sign, type KeyObject } from "node:crypto";
import { constructed, integer, oid, tlv, TAG } from "@edgeward/tpm";

const ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
const COMMON_NAME = "2.5.4.3";
const UTF8_STRING = 0x0c;
const BIT_STRING = 0x03;
const SET = 0x31;
const CONTEXT_0 = 0xa0;

/** A PEM CSR for `privateKey` with subject CN=`commonName`. */
export function createCsr(privateKey: KeyObject, commonName: string): string {
  const spki = new Uint8Array(createPublicKey(privateKey).export({ format: "der", type: "spki" }));
  // Name ::= SEQUENCE OF RelativeDistinguishedName (RFC 5280 §4.1.2.4)
  const name = constructed(TAG.SEQUENCE, [
    constructed(SET, [constructed(TAG.SEQUENCE, [oid(COMMON_NAME), tlv(UTF8_STRING, Buffer.from(commonName))])]),
  ]);
  // CertificationRequestInfo: version 0, subject, subjectPKInfo, attributes [0] (empty)
  const info = constructed(TAG.SEQUENCE, [integer(0), name, spki, tlv(CONTEXT_0, new Uint8Array(0))]);
  const signature = sign("sha256", info, { key: privateKey, dsaEncoding: "der" });
  const der = constructed(TAG.SEQUENCE, [
    info,
    constructed(TAG.SEQUENCE, [oid(ECDSA_WITH_SHA256)]),
    tlv(BIT_STRING, Buffer.concat([Buffer.from([0]), signature])),
  ]);
  const body = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN CERTIFICATE REQUEST-----\n${body}\n-----END CERTIFICATE REQUEST-----\n`;
}
