/**
 * JSON Schema (draft 2020-12) of the guard file; `additionalProperties: false` everywhere, so a misspelt key is an
 * error, not a stage silently switched off. docs/guard.md describes each field.
 */

const action = { enum: ["reject", "fallback", "review"] } as const;
const num = { type: "number" } as const;
const positiveInt = { type: "integer", minimum: 1 } as const;
const vector = { type: "array", minItems: 1, maxItems: 64, items: num } as const;
const sha256 = { type: "string", pattern: "^[0-9a-f]{64}$" } as const;
const modelRef = {
  type: "object",
  additionalProperties: false,
  required: ["path", "sha256"],
  properties: { path: { type: "string", minLength: 1 }, sha256 },
} as const;
const stage = (required: readonly string[], properties: Record<string, unknown>) =>
  ({
    type: "object",
    additionalProperties: false,
    required: ["action", ...required],
    properties: { action, ...properties },
  }) as const;

/** The guard file's schema. */
export const GUARD_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  additionalProperties: false,
  required: ["version", "input", "models", "targetFpr", "stages"],
  properties: {
    version: { const: 1 },
    input: {
      type: "object",
      additionalProperties: false,
      required: ["name", "channels", "height", "width", "range", "mean", "std", "image"],
      properties: {
        name: { type: "string", minLength: 1 },
        channels: { enum: [1, 3] },
        height: { type: "integer", minimum: 1, maximum: 4096 },
        width: { type: "integer", minimum: 1, maximum: 4096 },
        range: { type: "array", items: num, minItems: 2, maxItems: 2 },
        mean: { type: "array", items: num, minItems: 1, maxItems: 3 },
        std: { type: "array", items: { type: "number", exclusiveMinimum: 0 }, minItems: 1, maxItems: 3 },
        image: {
          type: "object",
          additionalProperties: false,
          required: ["maxBytes", "maxPixels", "fit"],
          properties: { maxBytes: positiveInt, maxPixels: positiveInt, fit: { enum: ["fill", "contain", "cover"] } },
        },
      },
    },
    models: {
      type: "object",
      additionalProperties: false,
      required: ["primary"],
      properties: { primary: modelRef, second: modelRef, fallback: modelRef },
    },
    targetFpr: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 0.5 },
    calibration: {
      type: "object",
      additionalProperties: false,
      required: ["samples", "dataSha256", "achievedFpr"],
      properties: {
        samples: positiveInt,
        dataSha256: sha256,
        achievedFpr: num,
        level: num,
        levelWeights: { type: "object", additionalProperties: { type: "number", exclusiveMinimum: 0 } },
      },
    },
    stages: {
      type: "object",
      additionalProperties: false,
      properties: {
        stats: stage(["features"], {
          features: {
            type: "object",
            additionalProperties: { type: "array", items: num, minItems: 2, maxItems: 2 },
          },
        }),
        confidence: stage(["score", "threshold", "temperature", "fixed"], {
          score: { enum: ["msp", "energy"] },
          threshold: num,
          temperature: { type: "number", exclusiveMinimum: 0 },
          fixed: { type: "boolean" },
        }),
        ensemble: stage(["threshold"], { threshold: num }),
        squeeze: stage(["squeezers", "threshold"], {
          threshold: num,
          squeezers: {
            type: "array",
            minItems: 1,
            items: {
              oneOf: [
                {
                  type: "object",
                  additionalProperties: false,
                  required: ["kind", "bits"],
                  properties: { kind: { const: "bitDepth" }, bits: { type: "integer", minimum: 1, maximum: 8 } },
                },
                {
                  type: "object",
                  additionalProperties: false,
                  required: ["kind", "size"],
                  properties: { kind: { const: "median" }, size: { type: "integer", minimum: 2, maximum: 5 } },
                },
              ],
            },
          },
        }),
        mahalanobis: stage(["withSecond", "means", "precision", "threshold"], {
          withSecond: { type: "boolean" },
          means: { type: "array", minItems: 1, maxItems: 1000, items: vector },
          precision: { type: "array", minItems: 1, maxItems: 64, items: vector },
          threshold: num,
        }),
        query: stage(["quantStep", "window", "topHashes", "matchThreshold", "history", "maxClients"], {
          quantStep: { type: "integer", minimum: 1, maximum: 255 },
          window: positiveInt,
          topHashes: positiveInt,
          matchThreshold: positiveInt,
          history: { type: "integer", minimum: 1, maximum: 100000 },
          maxClients: { type: "integer", minimum: 1, maximum: 1000000 },
        }),
      },
    },
    review: {
      type: "object",
      additionalProperties: false,
      required: ["maxEntries", "maxBytes"],
      properties: { recipient: { type: "string", pattern: "^age1" }, maxEntries: positiveInt, maxBytes: positiveInt },
    },
  },
} as const;
