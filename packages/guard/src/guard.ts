import { EdgewardError, isEdgewardError } from "@edgeward/core";
import type { GuardConfig } from "./config/types.ts";
import type { GuardImage } from "./data/image.ts";
import type { GuardModel } from "./models.ts";
import type { ReviewQueue } from "./review-queue.ts";
import { decide, evaluateStages, type Decision, type Reason } from "./stages/decision.ts";
import { checkTensor, decodeImage } from "./stages/input-contract.ts";
import { QueryDetector } from "./stages/query-detector.ts";
import { argmax, softmax } from "./stages/scores.ts";
import { scoreImages, type ImageScores } from "./stages/score-images.ts";

/**
 * One request's input: encoded image bytes, or a tensor already shaped for the model (as a `.npy` file decodes
 * to). The model takes float32; a tensor of any other type is refused by the input contract (EW_ERR_GUARD_INPUT).
 */
export type GuardInput =
  | { readonly kind: "image"; readonly bytes: Uint8Array }
  | {
      readonly kind: "tensor";
      readonly data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
      readonly dims: readonly number[];
    };

/** The models a guard runs; `second` and `fallback` must be given when the guard file names them. */
export interface GuardModels {
  readonly primary: GuardModel;
  readonly second?: GuardModel;
  readonly fallback?: GuardModel;
}

/** The guard's answer for one request. */
export interface CheckResult {
  readonly decision: Decision;
  /** The label returned to the caller: the primary's, the fallback's when `answeredBy` says so, null on reject. */
  readonly label: number | null;
  readonly confidence: number | null;
  readonly answeredBy: "primary" | "fallback" | null;
  readonly reasons: readonly Reason[];
  readonly scores:
    | (Omit<ImageScores, "logits" | "secondLogits" | "stats"> & { readonly stats: Record<string, number> })
    | null;
  /** The review entry's id when the input was queued; the error code when queueing failed. */
  readonly review?: { readonly id: string } | { readonly error: string };
}

/** A guard ready to check requests. */
export interface Guard {
  /** Runs the whole pipeline on one input from `clientId` (the query stage keeps per-client history). */
  check(input: GuardInput, context: { readonly clientId: string }): Promise<CheckResult>;
}

/** Options of {@link createGuard}. */
export interface GuardOptions {
  /** Flagged inputs are sealed into this queue; without it nothing is written anywhere. */
  readonly reviewQueue?: ReviewQueue;
  readonly now?: () => number;
}

/**
 * Builds the guard pipeline from a loaded guard file and its models (ARCHITECTURE.md, promise 8): input
 * contract → query-attack detection → input statistics → confidence → ensemble agreement → feature squeezing →
 * logit Mahalanobis distance → decision; flagged inputs go to the review queue sealed. The agent calls `check` once per inference request.
 */
export function createGuard(config: GuardConfig, models: GuardModels, options: GuardOptions = {}): Guard {
  const stages = config.stages;
  const detector = stages.query === undefined ? undefined : new QueryDetector(stages.query);
  const setup = {
    primary: models.primary,
    second: stages.ensemble === undefined && stages.mahalanobis?.withSecond !== true ? undefined : models.second,
    squeezers: stages.squeeze?.squeezers ?? [],
    temperature: stages.confidence?.temperature ?? 1,
    mahalanobis: stages.mahalanobis,
  };
  return {
    async check(input, { clientId }) {
      let image: GuardImage;
      try {
        image =
          input.kind === "image"
            ? await decodeImage(input.bytes, config.input)
            : checkTensor(input.data, input.dims, config.input);
      } catch (err) {
        if (!isEdgewardError(err)) throw err;
        const reason: Reason = { stage: "input", action: "reject", detail: err.message, code: err.code };
        return { decision: "reject", label: null, confidence: null, answeredBy: null, reasons: [reason], scores: null };
      }
      const reasons: Reason[] = [];
      const verdict = detector?.observe(clientId, image);
      if (verdict?.flagged === true && stages.query !== undefined) {
        reasons.push({
          stage: "query",
          action: stages.query.action,
          detail: `matches ${verdict.matches} of this client's recent queries`,
          score: verdict.maxOverlap,
          threshold: stages.query.matchThreshold,
        });
      }
      const [scores] = await scoreImages(setup, [image]);
      if (scores === undefined) throw new EdgewardError("EW_ERR_INFERENCE", { detail: "no scores for the input" });
      reasons.push(...evaluateStages(stages, scores));
      const decision = decide(reasons, models.fallback !== undefined);
      let label: number | null = scores.label;
      let confidence: number | null = scores.msp;
      let answeredBy: CheckResult["answeredBy"] = "primary";
      if (decision === "reject") [label, confidence, answeredBy] = [null, null, null];
      else if (decision === "fallback" && models.fallback !== undefined) {
        const [logits] = await models.fallback.predict([image]);
        const probs = softmax(logits ?? []);
        [label, confidence, answeredBy] = [argmax(probs), Math.max(...probs), "fallback"];
      }
      const { logits: _logits, secondLogits: _second, ...publicScores } = scores;
      const result: CheckResult = { decision, label, confidence, answeredBy, reasons, scores: publicScores };
      if (decision === "accept" || options.reviewQueue === undefined) return result;
      return { ...result, review: await queue(options, clientId, input, image, result) };
    },
  };
}

async function queue(
  options: GuardOptions,
  clientId: string,
  input: GuardInput,
  image: GuardImage,
  result: CheckResult,
): Promise<{ id: string } | { error: string }> {
  const entry = {
    time: new Date(options.now?.() ?? Date.now()).toISOString(),
    clientId,
    decision: result.decision,
    reasons: result.reasons,
    scores: result.scores,
    input:
      input.kind === "image"
        ? { kind: "image", bytes: Buffer.from(input.bytes).toString("base64") }
        : { kind: "tensor", dims: input.dims, float32: Buffer.from(image.pixels.buffer).toString("base64") },
  };
  try {
    return { id: await (options.reviewQueue as ReviewQueue).enqueue(entry) };
  } catch (err) {
    if (isEdgewardError(err)) return { error: err.code };
    throw err;
  }
}
