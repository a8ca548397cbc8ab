/**
 * A release made the way a publisher and the hub make one (ARCHITECTURE.md "The flows" 1 and 4): the model signed
 * (OMS) and sealed (age) to a device's recipient, split into the payload every device shares (the TUF target) and
 * the header wrapped for this one device.
 */
import { createHash } from "node:crypto";
import { parseRecipient, sealStream, signModel, type OmsBundle } from "@edgeward/core";

/** The parts of a sealed, signed release. */
export interface SealedRelease {
  readonly header: Uint8Array;
  readonly payload: Uint8Array;
  /** Lowercase hex SHA-256 of the payload (what the TUF target says). */
  readonly sha256: string;
  readonly bundle: OmsBundle;
}

/** Signs `model` as `name` with `privateKeyPem` and seals it to `recipient`. */
export async function sealedRelease(
  model: Uint8Array,
  recipient: string,
  name: string,
  privateKeyPem: string,
): Promise<SealedRelease> {
  const bundle = await signModel({ data: model, name, privateKey: privateKeyPem });
  const chunks: Uint8Array[] = [];
  for await (const c of sealStream([model], [parseRecipient(recipient)])) chunks.push(c);
  const [header, ...rest] = chunks;
  if (header === undefined) throw new Error("sealStream yielded nothing");
  const payload = Buffer.concat(rest);
  return { header, payload, sha256: createHash("sha256").update(payload).digest("hex"), bundle };
}
