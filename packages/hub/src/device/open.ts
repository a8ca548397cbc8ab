// Wiring the device side into a hub (hubdir/open.ts calls this): the device CA from the hub directory, the device
// services on the hub's database, and the mTLS authenticator. The audit log is the hub's own, so every device
// decision lands in the one log every replica writes.
import type { Kysely } from "kysely";
import { mtlsDeviceAuthenticator } from "../ca/authenticator.ts";
import { DeviceCa } from "../ca/device-ca.ts";
import type { DeviceAuthenticator } from "../deps.ts";
import type { HubDatabase } from "../store/schema.ts";
import type { AuditSink } from "./types.ts";
import { DatabaseDeviceStore } from "./database-store.ts";
import type { ReleasePort } from "./key-release.ts";
import { createDeviceServices, type DeviceServices } from "./services.ts";

/** What {@link openDeviceSide} needs. */
export interface DeviceSideOptions {
  readonly db: Kysely<HubDatabase>;
  /** The device CA's key and certificate, PEM (HUB/ca/ca.key, HUB/ca/ca.pem). */
  readonly caKeyPem: string;
  readonly caCertificatePem: string;
  /** Appends to the hub log (HubAuditLog.append). */
  readonly audit: { append(event: Parameters<AuditSink>[0]): Promise<unknown> };
  readonly now: () => Date;
  readonly releases: ReleasePort;
  /** TPM manufacturer roots (PEM) trusted for EK certificates; none means enrolment by token only. */
  readonly manufacturerRoots?: readonly string[];
  readonly manufacturerIntermediates?: readonly string[];
  /** The group devices enrolled by EK certificate alone join (default "default"). */
  readonly defaultGroup?: string;
  /** Longest a deny-list answer may be cached (ms; default 0: read the store on every request). */
  readonly denyCacheMs?: number;
}

/** The device services and the authenticator for HubDeps (`device`, `deviceAuth`). */
export async function openDeviceSide(
  o: DeviceSideOptions,
): Promise<{ device: DeviceServices; deviceAuth: DeviceAuthenticator }> {
  const ca = await DeviceCa.load({ keyPem: o.caKeyPem, certificatePem: o.caCertificatePem });
  const device = createDeviceServices(
    {
      store: new DatabaseDeviceStore(o.db),
      ca,
      audit: async (event) => {
        await o.audit.append(event);
      },
      now: o.now,
      manufacturerRoots: o.manufacturerRoots ?? [],
      manufacturerIntermediates: o.manufacturerIntermediates ?? [],
      defaultGroup: o.defaultGroup ?? "default",
    },
    o.releases,
    o.denyCacheMs ?? 0,
  );
  return { device, deviceAuth: mtlsDeviceAuthenticator(device.denyList) };
}
