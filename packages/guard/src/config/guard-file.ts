import { createHash } from "node:crypto";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse, stringify } from "yaml";
import { EdgewardError } from "@edgeward/core";
import { GUARD_SCHEMA } from "./schema.ts";
import type { GuardConfig } from "./types.ts";

const validate = new Ajv2020({ allErrors: false, strict: true }).compile(GUARD_SCHEMA);

/** The largest guard file accepted (a calibrated one is about 20 KiB, most of it the Mahalanobis stage). */
export const GUARD_FILE_MAX_BYTES = 1024 * 1024;

/**
 * The digest a release names for its guard file: SHA-256 of the file's exact bytes, hex. The release signs this
 * digest (ARCHITECTURE.md, flow 1), so changing a threshold or switching a stage off on the device breaks it.
 */
export function guardDigest(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Options for {@link loadGuardFile}. */
export interface LoadGuardOptions {
  /** The digest the release names. When given, a file that hashes otherwise fails with EW_ERR_GUARD_DIGEST. */
  readonly expectedDigest?: string;
}

/**
 * Parses and checks a guard file (YAML, of which JSON is a subset). The digest is checked first, on the raw bytes,
 * before anything is parsed; then the YAML (aliases off, so a billion-laughs file cannot expand) and the schema.
 * Any failure is EW_ERR_GUARD_FILE, never a partial configuration.
 */
export function loadGuardFile(bytes: Uint8Array, options: LoadGuardOptions = {}): GuardConfig {
  if (options.expectedDigest !== undefined) {
    const digest = guardDigest(bytes);
    if (digest !== options.expectedDigest.toLowerCase()) {
      throw new EdgewardError("EW_ERR_GUARD_DIGEST", { detail: `got ${digest}, expected ${options.expectedDigest}` });
    }
  }
  if (bytes.length > GUARD_FILE_MAX_BYTES) {
    throw new EdgewardError("EW_ERR_GUARD_FILE", { detail: `larger than ${GUARD_FILE_MAX_BYTES} bytes` });
  }
  let doc: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    doc = parse(text, { maxAliasCount: 0, uniqueKeys: true, prettyErrors: false });
  } catch (cause) {
    throw new EdgewardError("EW_ERR_GUARD_FILE", { detail: "not UTF-8 YAML", cause });
  }
  if (!validate(doc)) {
    const first = validate.errors?.[0];
    throw new EdgewardError("EW_ERR_GUARD_FILE", {
      detail: first === undefined ? "schema" : `${first.instancePath || "/"} ${first.message ?? "is invalid"}`,
    });
  }
  const config = doc as unknown as GuardConfig;
  checkConsistency(config);
  return config;
}

/** Serialises `config` as the YAML guard file (the bytes whose {@link guardDigest} the release names). */
export function serializeGuardFile(config: GuardConfig): string {
  return stringify(config, { lineWidth: 0 });
}

/** Cross-field rules a JSON Schema cannot say simply. */
function checkConsistency(config: GuardConfig): void {
  const { input, stages, models } = config;
  const fail = (detail: string): never => {
    throw new EdgewardError("EW_ERR_GUARD_FILE", { detail });
  };
  if (input.mean.length !== input.channels || input.std.length !== input.channels) {
    fail("input.mean and input.std need one value per channel");
  }
  if (input.range[0] >= input.range[1]) fail("input.range must be [low, high] with low < high");
  if (stages.ensemble !== undefined && models.second === undefined) fail("the ensemble stage needs models.second");
  if (stages.query !== undefined && stages.query.matchThreshold > stages.query.topHashes) {
    fail("stages.query.matchThreshold cannot exceed topHashes");
  }
  const maha = stages.mahalanobis;
  if (maha !== undefined) {
    const d = maha.precision.length;
    if (!maha.precision.every((row) => row.length === d) || !maha.means.every((m) => m.length === d)) {
      fail("stages.mahalanobis: precision must be d × d and every mean d long");
    }
    if (maha.withSecond && models.second === undefined) fail("stages.mahalanobis.withSecond needs models.second");
  }
  for (const [name, [lo, hi]] of Object.entries(stages.stats?.features ?? {})) {
    if (!(lo <= hi)) fail(`stages.stats.features.${name} must be [low, high]`);
  }
}
