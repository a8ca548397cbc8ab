// The device side's services over one context, as the device routes use them.
import { DenyList } from "../ca/deny-list.ts";
import { AttestationService } from "./attestation.ts";
import type { DeviceContext } from "./context.ts";
import { DeviceLogService } from "./device-log.ts";
import { EnrolmentService } from "./enrolment.ts";
import { KeyReleaseService, type ReleasePort } from "./key-release.ts";
import { DeviceReportService } from "./reports.ts";

/** Every device-side service. */
export interface DeviceServices {
  readonly ctx: DeviceContext;
  readonly enrolment: EnrolmentService;
  readonly attestation: AttestationService;
  readonly keyRelease: KeyReleaseService;
  readonly deviceLog: DeviceLogService;
  readonly reports: DeviceReportService;
  /** Quarantined and revoked devices are refused on every device route (read from the store per request). */
  readonly denyList: DenyList;
}

/** Builds the device services; `denyCacheMs` (default 0) bounds how stale a deny-list answer may be. */
export function createDeviceServices(ctx: DeviceContext, releases: ReleasePort, denyCacheMs = 0): DeviceServices {
  return {
    ctx,
    enrolment: new EnrolmentService(ctx),
    attestation: new AttestationService(ctx),
    keyRelease: new KeyReleaseService(ctx, releases),
    deviceLog: new DeviceLogService(ctx),
    reports: new DeviceReportService(ctx),
    denyList: new DenyList((id) => ctx.store.getDevice(id), { ttlMs: denyCacheMs }),
  };
}
