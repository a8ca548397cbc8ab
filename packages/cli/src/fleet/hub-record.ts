/**
 * The hub's view of a refusal, read from its transparency log (ARCHITECTURE.md promise 10): the operator API
 * shows a device's state; the reason it was quarantined is the `device.quarantine` entry the hub logged, found by
 * walking back from the latest checkpoint, with the index an auditor can ask an inclusion proof for.
 */
import { HubClient } from "@edgeward/hub";
import { decodeAuditEvent } from "@edgeward/tlog";

/** A `device.quarantine` entry: its log index and the code the hub gave. */
export interface QuarantineEntry {
  readonly index: number;
  readonly reason: string;
}

/** Reads the hub's log through its operator API. */
export class HubRecord {
  readonly #client: HubClient;

  constructor(url: string, token: string, ca: string) {
    this.#client = new HubClient({ url, token, ca });
  }

  /** The newest `device.quarantine` entry for `deviceId` among the last `depth` entries, if any. */
  async quarantine(deviceId: string, depth = 64): Promise<QuarantineEntry | undefined> {
    const { size } = await this.#client.get<{ size: number }>("/v1/log/checkpoint");
    for (let index = size - 1; index >= Math.max(0, size - depth); index--) {
      const { entry } = await this.#client.get<{ entry: string }>("/v1/log/proof", { index });
      const event = decodeAuditEvent(Buffer.from(entry, "base64"));
      if (event.kind !== "device.quarantine" || event.subject !== deviceId) continue;
      const reason = event.details["reason"];
      return { index, reason: typeof reason === "string" ? reason : "unknown" };
    }
    return undefined;
  }
}
