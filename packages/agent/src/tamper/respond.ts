/**
 * The tamper response (ARCHITECTURE.md "The flows" 6): zeroize first, then make it stick. In order: the model
 * buffer is zeroed and the inference session released, so serving answers 503 at once; the stored device headers
 * are deleted (the ciphertext alone is useless); the application PCR is extended, so the TPM refuses the unwrap key
 * and the sealed mTLS key until the device is re-provisioned; the event is written to tamper.json and the device log;
 * last, the hub is told, which quarantines the device.
 */
import { createHash } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { APPLICATION_PCR, type TpmDevice } from "@edgeward/tpm";
import { readJson, writeJson } from "../state/files.ts";
import type { StateLayout } from "../state/layout.ts";
import type { TamperReading } from "./sources.ts";

/** What tamper.json holds. */
export interface TamperRecord {
  readonly source: string;
  readonly details: string;
  readonly at: string;
}

/** The running agent's parts the response acts on; each optional so the CLI's manual trigger can use it alone. */
export interface TamperTargets {
  readonly tpm: TpmDevice;
  readonly layout: StateLayout;
  /** Zeroizes the in-memory model and keys; synchronous so nothing can be served after it returns. */
  readonly zeroize?: (record: TamperRecord) => void;
  /** Appends the event to the device log. */
  readonly audit?: (record: TamperRecord) => Promise<void>;
  /** Tells the hub. */
  readonly notifyHub?: (record: TamperRecord) => Promise<void>;
  readonly now?: () => Date;
}

/** Timings of one response, in ms from its start. */
export interface TamperTimings {
  readonly zeroizedMs: number;
  readonly headersDeletedMs: number;
  readonly pcrExtendedMs: number;
  readonly doneMs: number;
}

/**
 * Responds to a tamper reading. Idempotent per state directory: a second trigger re-zeroizes and re-deletes but does
 * not extend the PCR again (once is enough to change it; the record says when it first fired).
 */
export async function respondToTamper(
  reading: TamperReading,
  targets: TamperTargets,
): Promise<{ record: TamperRecord; timings: TamperTimings; hubError?: unknown }> {
  const t0 = performance.now();
  const record: TamperRecord = { ...reading, at: (targets.now?.() ?? new Date()).toISOString() };
  targets.zeroize?.(record);
  const zeroizedMs = performance.now() - t0;
  await deleteHeaders(targets.layout);
  const headersDeletedMs = performance.now() - t0;
  const earlier = await readJson(targets.layout.tamper);
  if (earlier === undefined) {
    // TPM2_PCR_Event (Part 3 §22.3): the digest of the record, so the event log could explain the new PCR value.
    await targets.tpm.pcrExtend(APPLICATION_PCR, createHash("sha256").update(JSON.stringify(record)).digest());
    await writeJson(targets.layout.tamper, record);
  }
  const pcrExtendedMs = performance.now() - t0;
  await targets.audit?.(record);
  let hubError: unknown;
  try {
    await targets.notifyHub?.(record);
  } catch (err) {
    hubError = err; // The device is already safe; the next attestation fails anyway and the log says why.
  }
  const timings = { zeroizedMs, headersDeletedMs, pcrExtendedMs, doneMs: performance.now() - t0 };
  return hubError === undefined ? { record, timings } : { record, timings, hubError };
}

/** Deletes every release's device header (releases/ID/header.age). */
export async function deleteHeaders(layout: StateLayout): Promise<void> {
  let ids: string[];
  try {
    ids = await readdir(layout.releases);
  } catch {
    return;
  }
  await Promise.all(ids.map((id) => rm(join(layout.releases, id, "header.age"), { force: true })));
}

/** tamper.json, when a tamper event has fired on this state directory. */
export async function readTamperRecord(layout: StateLayout): Promise<TamperRecord | undefined> {
  const v = await readJson(layout.tamper);
  if (v === undefined) return undefined;
  const r = v as Partial<TamperRecord>;
  return { source: String(r.source ?? "unknown"), details: String(r.details ?? ""), at: String(r.at ?? "") };
}
