import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import type { PcrValues } from "@edgeward/core";
import { EVENTLOG_FIXTURES } from "@edgeward/testkit";

/** The real event logs, shared through testkit (sources in its fixtures/eventlog/SOURCES.md). */
export const FIXTURES = pathToFileURL(EVENTLOG_FIXTURES);

/** A fixture's bytes. */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, FIXTURES)));
}

/** The PCR values tpm2_eventlog printed for each crypto-agile fixture, recorded in expected-pcrs.json. */
export const EXPECTED: Readonly<Record<string, { pcrs: Record<string, Record<string, string>> }>> = JSON.parse(
  readFileSync(new URL("expected-pcrs.json", FIXTURES), "utf8"),
) as Record<string, { pcrs: Record<string, Record<string, string>> }>;

/** Logs that record SecureBoot enabled (SOURCES.md). */
export const SECURE_BOOT_ON = [
  "tpm2-tools-event-moklisttrusted.bin",
  "tpm2-tools-event-postcode.bin",
  "keylime-binary_bios_measurements-secureboot.bin",
];

/** PCR values as hex strings per bank, from replayed values. */
export function toHex(values: PcrValues): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [bank, pcrs] of Object.entries(values)) {
    out[bank] = {};
    for (const [i, v] of Object.entries(pcrs ?? {})) out[bank][i] = Buffer.from(v).toString("hex");
  }
  return out;
}

/** Hex PCR values back into PcrValues (the "quoted" values of a test). */
export function fromHex(hex: Record<string, Record<string, string>>): PcrValues {
  const out: Record<string, Record<number, Uint8Array>> = {};
  for (const [bank, pcrs] of Object.entries(hex)) {
    out[bank] = {};
    for (const [i, v] of Object.entries(pcrs)) out[bank][Number(i)] = new Uint8Array(Buffer.from(v, "hex"));
  }
  return out;
}

/** Offset of the first occurrence of `needle` in `haystack`, or -1. */
export function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(needle);
}
