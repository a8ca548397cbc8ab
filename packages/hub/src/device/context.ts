// What every device service is given (STYLE.md "Long-running processes": every dependency injected).
import type { DeviceCa } from "../ca/device-ca.ts";
import type { DeviceStore } from "./store.ts";
import type { AuditSink } from "./types.ts";

/** The dependencies and settings the device services share. */
export interface DeviceContext {
  readonly store: DeviceStore;
  readonly ca: DeviceCa;
  /** Appends to the hub's audit log. */
  readonly audit: AuditSink;
  /** The injected clock. */
  readonly now: () => Date;
  /** Trusted TPM manufacturer roots (PEM or DER) for EK certificates, and intermediates to build chains with. */
  readonly manufacturerRoots: readonly (string | Uint8Array)[];
  readonly manufacturerIntermediates?: readonly (string | Uint8Array)[];
  /** The group a device enrolled by EK certificate alone joins. */
  readonly defaultGroup: string;
  /** Nonce lifetime (default 60 s). */
  readonly nonceLifetimeMs?: number;
  /** Pending enrolment lifetime (default 5 min). */
  readonly enrolmentLifetimeMs?: number;
  /** Device certificate lifetime (default 24 h). */
  readonly certLifetimeMs?: number;
  /**
   * Most unused nonces a device may hold before challenges answer 429 (default 4 asked without a certificate,
   * twice that with one).
   */
  readonly maxOutstandingNonces?: number;
  /** Random source for jitter (tests pass a seeded one). */
  readonly random?: () => number;
}

/** Builds an audit event stamped with the context's clock. */
export async function record(
  ctx: DeviceContext,
  kind: string,
  subject: string,
  details: Record<string, string | number | boolean | null | string[]>,
): Promise<void> {
  await ctx.audit({ time: ctx.now().toISOString(), actor: "hub", kind, subject, details });
}

/** Standard base64 to bytes (the wire schema already checked the alphabet). */
export function b64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64"));
}

/** Bytes to lowercase hex. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Lowercase hex to bytes. */
export function unhex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "hex"));
}
