// Device log shipping (ARCHITECTURE.md flow 7; promise 10): the hub keeps the last signed checkpoint of each
// device's log and accepts a new one only with an RFC 9162 §2.1.4 consistency proof from it. A device whose
// history was rewritten or rolled back is flagged and quarantined.
import { isEdgewardError, EdgewardError, type wire } from "@edgeward/core";
import { leafHash, MemoryTree, openCheckpoint, parseVerifierKey, verifyConsistency } from "@edgeward/tlog";
import { b64, hex, record, unhex, type DeviceContext } from "./context.ts";

/** Accepts device log shipments. */
export class DeviceLogService {
  readonly #ctx: DeviceContext;

  constructor(ctx: DeviceContext) {
    this.#ctx = ctx;
  }

  /** Verifies and records a shipment; EW_ERR_DEVICE_LOG_REWRITTEN (and quarantine) on an inconsistent history. */
  async ship(deviceId: string, req: wire.DeviceLogRequest): Promise<wire.DeviceLogResponse> {
    const ctx = this.#ctx;
    const held = await ctx.store.getDeviceLog(deviceId);
    const logKey = held?.logKey ?? req.logKey;
    if (logKey === undefined) throw new EdgewardError("EW_ERR_DEVICE_LOG_KEY", { detail: "send logKey first" });
    if (req.logKey !== undefined && held !== undefined && req.logKey !== held.logKey)
      throw new EdgewardError("EW_ERR_DEVICE_LOG_KEY", { detail: "the device log's key changed" });
    let verifier;
    try {
      verifier = parseVerifierKey(logKey);
    } catch (err) {
      throw new EdgewardError("EW_ERR_DEVICE_LOG_KEY", { cause: err });
    }
    const cp = openCheckpoint(req.checkpoint, verifier);
    const fromSize = held?.treeSize ?? 0;
    if (req.fromSize !== undefined && req.fromSize !== fromSize)
      throw new EdgewardError("EW_ERR_DEVICE_LOG_ENTRIES", { detail: `the hub holds size ${fromSize}` });
    if (held !== undefined && held.treeSize > 0) {
      try {
        if (cp.size < held.treeSize) throw new EdgewardError("EW_ERR_DEVICE_LOG_REWRITTEN", { detail: "rolled back" });
        verifyConsistency(held.treeSize, cp.size, unhex(held.rootHash), cp.root, req.consistencyProof.map(unhex));
      } catch (err) {
        if (!isEdgewardError(err)) throw err;
        await this.#flag(deviceId, held.treeSize, cp.size, err.code);
        throw new EdgewardError("EW_ERR_DEVICE_LOG_REWRITTEN", { cause: err });
      }
    } else if (cp.size > 0) {
      // The first shipment carries the whole log: its leaves must hash to the checkpoint's root (RFC 9162 §2.1.1).
      const tree = new MemoryTree();
      for (const e of req.entries) tree.append(leafHash(b64(e.data)));
      if (hex(tree.root()) !== hex(cp.root))
        throw new EdgewardError("EW_ERR_DEVICE_LOG_ENTRIES", { detail: "the entries do not hash to the root" });
    }
    checkEntries(req.entries, fromSize, cp.size);
    const state = { deviceId, logKey, treeSize: cp.size, rootHash: hex(cp.root), checkpoint: req.checkpoint };
    if (!(await ctx.store.putDeviceLog(state, fromSize)))
      throw new EdgewardError("EW_ERR_DEVICE_LOG_ENTRIES", { detail: "another shipment landed first; resend" });
    await record(ctx, "device.log", deviceId, { size: cp.size, root: hex(cp.root) });
    return { accepted: true, treeSize: cp.size };
  }

  async #flag(deviceId: string, held: number, got: number, code: string): Promise<void> {
    await record(this.#ctx, "device.log.rewritten", deviceId, { held, got, reason: code });
    const moved = await this.#ctx.store.updateDevice(
      deviceId,
      { state: "quarantined", stateReason: "EW_ERR_DEVICE_LOG_REWRITTEN" },
      ["pending", "trusted"],
    );
    if (moved) await record(this.#ctx, "device.quarantine", deviceId, { reason: "EW_ERR_DEVICE_LOG_REWRITTEN" });
  }
}

/** The shipped entries must be exactly the leaves fromSize..size-1, in order. */
function checkEntries(entries: ReadonlyArray<{ index: number }>, fromSize: number, size: number): void {
  if (entries.length !== size - fromSize && entries.length !== 0)
    throw new EdgewardError("EW_ERR_DEVICE_LOG_ENTRIES", { detail: `expected ${size - fromSize} entries` });
  entries.forEach((e, i) => {
    if (e.index !== fromSize + i) throw new EdgewardError("EW_ERR_DEVICE_LOG_ENTRIES", { detail: `index ${e.index}` });
  });
}
