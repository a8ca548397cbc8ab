// Tamper and audit reports from devices (ARCHITECTURE.md flows 6 "Tamper" and 7 "Audit").
import type { wire } from "@edgeward/core";
import { record, type DeviceContext } from "./context.ts";

/** A tamper report quarantines the device at once (promise 9); the latest audit report is kept per device. */
export class DeviceReportService {
  readonly #ctx: DeviceContext;

  constructor(ctx: DeviceContext) {
    this.#ctx = ctx;
  }

  async tamper(deviceId: string, req: wire.TamperRequest): Promise<wire.TamperResponse> {
    const ctx = this.#ctx;
    await record(ctx, "tamper.detect", deviceId, { source: req.source, details: req.details.slice(0, 512) });
    const moved = await ctx.store.updateDevice(
      deviceId,
      { state: "quarantined", stateReason: `tamper:${req.source}` },
      ["pending", "trusted"],
    );
    if (moved) await record(ctx, "device.quarantine", deviceId, { reason: `tamper:${req.source}` });
    return { state: "quarantined" };
  }

  async audit(deviceId: string, req: wire.AuditReportRequest): Promise<wire.AuditReportResponse> {
    const ctx = this.#ctx;
    const at = ctx.now().toISOString();
    await ctx.store.putAuditReport(deviceId, at, req.report);
    await record(ctx, "device.audit", deviceId, { at });
    return { stored: true };
  }
}
