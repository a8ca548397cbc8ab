import type { Squeezer } from "../stages/squeeze.ts";

/** What the guard does when a stage flags an input; the most severe flagged action decides. */
export type StageAction = "reject" | "fallback" | "review";

/** A model the guard file names: a path relative to the guard file, and the SHA-256 it must hash to. */
export interface ModelRef {
  readonly path: string;
  readonly sha256: string;
}

/** The input contract: what the model takes, and how an image is turned into it. */
export interface InputContract {
  readonly name: string;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** The value range of the [0, 1]-scaled pixels before normalisation; a tensor outside it is refused. */
  readonly range: readonly [number, number];
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly image: {
    readonly maxBytes: number;
    readonly maxPixels: number;
    /** sharp's resize `fit`: fill stretches, contain letterboxes, cover crops. */
    readonly fit: "fill" | "contain" | "cover";
  };
}

/** Input-statistics gate: each feature must lie in its calibrated [low, high] interval. */
export interface StatsStage {
  readonly action: StageAction;
  readonly features: Readonly<Record<string, readonly [number, number]>>;
}

/** Confidence: MSP below `threshold`, or energy above it, flags the input. */
export interface ConfidenceStage {
  readonly action: StageAction;
  readonly score: "msp" | "energy";
  readonly threshold: number;
  readonly temperature: number;
  /** True when the threshold was set by hand (the 0.85 rule) rather than calibrated. */
  readonly fixed: boolean;
}

/** Ensemble agreement: the L1 distance between the two models' softmax outputs above `threshold` flags. */
export interface EnsembleStage {
  readonly action: StageAction;
  readonly threshold: number;
}

/** Feature squeezing: the largest L1 distance between original and squeezed predictions above `threshold` flags. */
export interface SqueezeStage {
  readonly action: StageAction;
  readonly squeezers: readonly Squeezer[];
  readonly threshold: number;
}

/**
 * Logit Mahalanobis distance (Lee et al., NeurIPS 2018): the smallest squared distance from the primary's logits
 * (followed by the second model's when `withSecond`) to a class mean, above `threshold`, flags.
 */
export interface MahalanobisStage {
  readonly action: StageAction;
  readonly withSecond: boolean;
  readonly means: readonly (readonly number[])[];
  readonly precision: readonly (readonly number[])[];
  readonly threshold: number;
}

/** Query-attack detection (after Blacklight, Li et al., USENIX Security 2022). */
export interface QueryStage {
  readonly action: StageAction;
  /** Pixels are quantised to multiples of this step (on a 0..255 scale) before hashing. */
  readonly quantStep: number;
  /** Length of the sliding window of quantised pixels that is hashed. */
  readonly window: number;
  /** How many of the largest window hashes make a query's fingerprint. */
  readonly topHashes: number;
  /** Two queries match when their fingerprints share at least this many hashes. */
  readonly matchThreshold: number;
  /** How many recent queries are remembered per client. */
  readonly history: number;
  /** How many clients are remembered (least recently seen forgotten first). */
  readonly maxClients: number;
}

/** A guard file, parsed and checked against the schema. */
export interface GuardConfig {
  readonly version: 1;
  readonly input: InputContract;
  readonly models: { readonly primary: ModelRef; readonly second?: ModelRef; readonly fallback?: ModelRef };
  readonly targetFpr: number;
  readonly calibration?: {
    readonly samples: number;
    readonly dataSha256: string;
    readonly achievedFpr: number;
    /** The common level p the thresholds sit at (each score at its weight times p). */
    readonly level?: number;
    /** Each score's share of the level (keys `stats.<feature>`, `confidence`, …; absent keys 1). */
    readonly levelWeights?: Readonly<Record<string, number>>;
  };
  readonly stages: {
    readonly stats?: StatsStage;
    readonly confidence?: ConfidenceStage;
    readonly ensemble?: EnsembleStage;
    readonly squeeze?: SqueezeStage;
    readonly mahalanobis?: MahalanobisStage;
    readonly query?: QueryStage;
  };
  readonly review?: { readonly recipient?: string; readonly maxEntries: number; readonly maxBytes: number };
}
