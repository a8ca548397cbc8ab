// Device identity from the TLS connection (promise 4): the hub asks every client for a certificate but lets the
// handshake finish without one, so enrolment and renewal-by-attestation stay reachable; each device route then
// decides from the verified peer certificate. TLS 1.2 is the minimum (RFC 8996 retires 1.0 and 1.1).
import type { TLSSocket } from "node:tls";
import { EdgewardError } from "@edgeward/core";
import { DEVICE_URI_PREFIX } from "./device-ca.ts";

/** The `node:https` options the device listener needs besides its own key and certificate. */
export function deviceTlsOptions(caCertificatePem: string) {
  return {
    requestCert: true,
    rejectUnauthorized: false,
    ca: [caCertificatePem],
    minVersion: "TLSv1.2",
  } as const;
}

/** What a connection's handshake established, kept per socket: the certificate is fixed at the handshake. */
const bySocket = new WeakMap<TLSSocket, { id: string | undefined } | { error: EdgewardError }>();

/**
 * The device a connection's client certificate names: undefined when the client sent none (or the connection is
 * not TLS); EW_ERR_DEVICE_CERT_INVALID when it sent one that does not chain to the device CA, is expired or
 * not yet valid, or names no device. Decoding the peer certificate cost a tenth of a keep-alive request, so the
 * answer is kept per connection: `authorized` is decided at the handshake anyway, and renegotiation (TLS 1.2's only
 * way to change a connection's certificate; TLS 1.3 has none) is switched off on the socket once it is read.
 */
export function peerDeviceId(socket: unknown): string | undefined {
  if (!isTlsSocket(socket)) return undefined;
  let known = bySocket.get(socket);
  if (known === undefined) {
    try {
      known = { id: readPeer(socket) };
    } catch (err) {
      if (!(err instanceof EdgewardError)) throw err;
      known = { error: err };
    }
    socket.disableRenegotiation();
    bySocket.set(socket, known);
  }
  if ("error" in known) throw known.error;
  return known.id;
}

function readPeer(socket: TLSSocket): string | undefined {
  const cert = socket.getPeerCertificate();
  if (cert === null || Object.keys(cert).length === 0) return undefined;
  if (!socket.authorized)
    throw new EdgewardError("EW_ERR_DEVICE_CERT_INVALID", { detail: String(socket.authorizationError) });
  const id = deviceIdFromSan(cert.subjectaltname ?? "");
  if (id === undefined) throw new EdgewardError("EW_ERR_DEVICE_CERT_INVALID", { detail: "no device URI SAN" });
  return id;
}

/** The device id in a `subjectaltname` string (`URI:urn:edgeward:device:<id>`), or undefined. */
export function deviceIdFromSan(san: string): string | undefined {
  for (const part of san.split(", ")) {
    if (!part.startsWith(`URI:${DEVICE_URI_PREFIX}`)) continue;
    const id = part.slice(`URI:${DEVICE_URI_PREFIX}`.length);
    if (/^[A-Za-z0-9_-]{1,64}$/.test(id)) return id;
  }
  return undefined;
}

function isTlsSocket(socket: unknown): socket is TLSSocket {
  return (
    typeof socket === "object" &&
    socket !== null &&
    "encrypted" in socket &&
    typeof (socket as Partial<TLSSocket>).getPeerCertificate === "function"
  );
}
