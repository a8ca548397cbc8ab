/**
 * The device's own Merkle log (ARCHITECTURE.md promise 10, "The flows" 7): every decision the agent makes is an
 * audit event appended to an RFC 6962 log on SQLite in the state directory, with C2SP checkpoints signed by the
 * TPM-sealed log key. Shipping sends the hub the entries it has not seen, the new checkpoint, and an RFC 9162
 * consistency proof from the size the hub acknowledged, so the hub can tell a rewritten or rolled-back log.
 */
import { existsSync } from "node:fs";
import type { wire } from "@edgeward/core";
import { auditEvent, DurableLog, encodeAuditEvent, type JsonValue, type NoteSigner } from "@edgeward/tlog";
import { SqliteStore } from "@edgeward/tlog/sqlite";
import { ensurePrivateDir } from "../state/files.ts";
import type { StateLayout } from "../state/layout.ts";

/** One decision, as the agent records it. */
export interface Decision {
  /** Dotted kind (`attest.pass`, `key.release`, `update.refuse`, `tamper.detect`, `serve.refuse` …). */
  readonly kind: string;
  /** What it is about: the device id, `model:NAME@VERSION`, a tamper source. */
  readonly subject: string;
  readonly details?: { readonly [key: string]: JsonValue };
}

/** The device log. */
export class DeviceLog {
  readonly #log: DurableLog;
  readonly #actor: string;

  private constructor(log: DurableLog, actor: string) {
    this.#log = log;
    this.#actor = actor;
  }

  /** Opens the log in the state directory, creating it on first use; `actor` is `agent:<device id>`. */
  static async open(layout: StateLayout, signer: NoteSigner, actor: string): Promise<DeviceLog> {
    await ensurePrivateDir(layout.logDir);
    const fresh = !existsSync(layout.log);
    const store = new SqliteStore(layout.log);
    try {
      const log = fresh
        ? await DurableLog.create(store, { origin: signer.name, signer })
        : await DurableLog.open(store, signer);
      return new DeviceLog(log, actor);
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
  }

  /** The log's verifier key (c2sp.org/signed-note). */
  get verifierKey(): string {
    return this.#log.meta.vkey;
  }

  /** Entries stored. */
  get size(): number {
    return this.#log.size;
  }

  /** Appends one decision; resolves once it is durable and covered by a signed checkpoint. Returns its index. */
  async record(d: Decision): Promise<number> {
    const event = auditEvent({ actor: this.#actor, kind: d.kind, subject: d.subject, details: d.details ?? {} });
    return (await this.#log.append(encodeAuditEvent(event))).index;
  }

  /** The entries after `fromSize`, the latest checkpoint and the consistency proof from `fromSize` to it. */
  async shipment(fromSize: number, maxEntries = 1000): Promise<wire.DeviceLogRequest> {
    const latest = await this.#log.reader.checkpoint();
    const size = Math.min(latest.size, fromSize + maxEntries);
    // A partial shipment needs a checkpoint at its own size: only sizes the log signed are shippable.
    const stored = size === latest.size ? latest.note : (await this.#log.store.checkpointAt(size))?.note;
    const to = stored === undefined ? latest.size : size;
    const note = stored ?? latest.note;
    const entries = await this.#log.store.readEntries(fromSize, to);
    const proof =
      fromSize === 0 || fromSize === to ? [] : (await this.#log.reader.consistencyProof(fromSize, to)).proof;
    return {
      entries: entries.map((e) => ({ index: e.index, data: Buffer.from(e.data).toString("base64") })),
      checkpoint: note,
      fromSize,
      consistencyProof: proof.map((h) => Buffer.from(h).toString("hex")),
      logKey: this.verifierKey,
    };
  }

  /** Flushes and closes the store. */
  async close(): Promise<void> {
    await this.#log.close();
  }
}
