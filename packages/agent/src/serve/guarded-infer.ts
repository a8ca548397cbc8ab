/**
 * An image request through the guard (ARCHITECTURE.md "The flows" 5, promise 8): the serving release's guard
 * decodes the image in memory under its byte and pixel limits, runs its stages, and answers with the decision
 * (accept, review, fallback, reject), the reasons and scores, and the label and confidence. An image the input
 * contract refuses (truncated, not an image, a decompression bomb) is a typed error with the guard's code; a
 * flagged input is sealed to the review recipient by the guard's queue before anything is written.
 */
import { EdgewardError, isErrorCode } from "@edgeward/core";
import type { CheckResult } from "@edgeward/guard";
import type { Decision as AuditDecision } from "../audit/device-log.ts";
import type { GuardSlot } from "./guard-slot.ts";
import type { ModelSlot } from "./model-slot.ts";

/** The media types `POST /v1/infer` takes as images (decoded by the guard with sharp). */
export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp"];

/** The header a local caller may name itself by; the query-attack stage keeps history per client. */
export const CLIENT_HEADER = "x-edgeward-client";

/** The answer to an image request. */
export interface GuardedAnswer extends Omit<CheckResult, "review"> {
  readonly model: { readonly name: string; readonly version: string };
  readonly guard: { readonly digest: string };
  readonly review?: CheckResult["review"];
}

/**
 * The client an image request counts against: the connection's address, with the caller's self-declared name when
 * it sends {@link CLIENT_HEADER} (the API listens on loopback or a Unix socket, so callers are local processes).
 */
export function clientIdOf(remoteAddress: string | undefined, header: string | string[] | undefined): string {
  const named = Array.isArray(header) ? header[0] : header;
  const peer = remoteAddress === undefined || remoteAddress === "" ? "unix" : remoteAddress;
  return named === undefined || named === "" ? peer : `${peer}/${named.slice(0, 128)}`;
}

/** Where a flagged decision is recorded: the device log (ARCHITECTURE.md "The flows" 7), shipped to the hub. */
export interface GuardAudit {
  record(decision: AuditDecision): Promise<number>;
}

/**
 * Runs the serving guard on `bytes`; EW_ERR_INPUT_FORMAT when the serving release has no guard file. A decision
 * other than accept is recorded in `audit` as `guard.<decision>` with the stages that flagged it and the review
 * entry's id: never the input, its scores or the client.
 */
export async function inferImage(
  slots: { readonly slot: ModelSlot; readonly guards: GuardSlot; readonly audit?: GuardAudit },
  bytes: Uint8Array,
  clientId: string,
): Promise<GuardedAnswer> {
  const answer = await guardImage(slots, bytes, clientId);
  if (answer.decision !== "accept" && slots.audit !== undefined) {
    const review =
      answer.review === undefined ? "none" : "id" in answer.review ? answer.review.id : answer.review.error;
    await slots.audit.record({
      kind: `guard.${answer.decision}`,
      subject: `model:${answer.model.name}@${answer.model.version}`,
      details: { stages: [...new Set(answer.reasons.map((r) => r.stage))], guard: answer.guard.digest, review },
    });
  }
  return answer;
}

async function guardImage(
  slots: { readonly slot: ModelSlot; readonly guards: GuardSlot },
  bytes: Uint8Array,
  clientId: string,
): Promise<GuardedAnswer> {
  return slots.slot.use(async (loaded) => {
    const guard = slots.guards.current();
    if (guard === undefined)
      throw new EdgewardError("EW_ERR_INPUT_FORMAT", { detail: "the serving release has no guard; send tensors" });
    const result = await guard.guard.check({ kind: "image", bytes }, { clientId });
    const refused = result.reasons.find((r) => r.stage === "input");
    if (refused !== undefined) {
      const code = refused.code !== undefined && isErrorCode(refused.code) ? refused.code : "EW_ERR_GUARD_INPUT";
      throw new EdgewardError(code, { detail: refused.detail });
    }
    return { model: { name: loaded.name, version: loaded.version }, guard: { digest: guard.digest }, ...result };
  });
}
