import type { FastifyInstance, FastifyRequest } from "fastify";
import { EdgewardError, wire } from "@edgeward/core";

/**
 * When the hub sheds device requests (docs/hub.md "Overload"). A limit of 0 turns its check off. The Retry-After a
 * shed device hears is `retryAfterS` plus a uniform jitter of 0–`retryJitterS` seconds, so a shed fleet does not
 * come back in one wave.
 */
export interface OverloadLimits {
  /** Event-loop delay (ms, the pressure source's recent mean) above which device requests are shed; default 1000. */
  readonly maxEventLoopDelayMs: number;
  /** Device requests being handled at once (accepted, not yet answered) above which new ones are shed; default 512. */
  readonly maxInFlight: number;
  /** Database operations waiting for a connection (the store's queue) above which device requests are shed; 256. */
  readonly maxPendingWrites: number;
  /** The least Retry-After, seconds; default 10. */
  readonly retryAfterS: number;
  /** Most seconds of jitter added to it; default 20. */
  readonly retryJitterS: number;
}

/** The defaults of {@link OverloadLimits}. */
export const DEFAULT_OVERLOAD_LIMITS: OverloadLimits = {
  maxEventLoopDelayMs: 1000,
  maxInFlight: 512,
  maxPendingWrites: 256,
  retryAfterS: 10,
  retryJitterS: 20,
};

/** Where the hub reads its pressure from (tests inject one; http/pressure.ts measures the process). */
export interface PressureSource {
  /** The event loop's recent delay, ms. */
  eventLoopDelayMs(): number;
  /** Database operations waiting for a connection. */
  pendingWrites(): number;
  close(): void;
}

/** What made the hub shed a request, or undefined when it is not overloaded. */
export function overloadReason(limits: OverloadLimits, pressure: PressureSource, inFlight: number): string | undefined {
  if (limits.maxInFlight > 0 && inFlight >= limits.maxInFlight) return `in-flight ${inFlight}`;
  const delay = pressure.eventLoopDelayMs();
  if (limits.maxEventLoopDelayMs > 0 && delay > limits.maxEventLoopDelayMs) return `event-loop delay ${delay} ms`;
  const pending = pressure.pendingWrites();
  if (limits.maxPendingWrites > 0 && pending > limits.maxPendingWrites) return `pending writes ${pending}`;
  return undefined;
}

/** The device requests counted in flight, each with what uncounts it (in its own app). */
const counted = new WeakMap<FastifyRequest, () => void>();

/**
 * Stops counting `request` in flight: a long poll that now only waits (docs/hub.md "Overload") holds no handler
 * work, so 10,000 devices waiting for a release must not make the hub shed everything else.
 */
export function leaveInFlight(request: FastifyRequest): void {
  const uncount = counted.get(request);
  counted.delete(request);
  uncount?.();
}

/**
 * Sheds device-API requests while the hub is overloaded: the first onRequest hook, so a shed request costs no body
 * parsing, no device authentication and no database read; it is answered 503 EW_ERR_HUB_OVERLOADED with a jittered
 * Retry-After. Operator and public routes (/healthz, /metrics) are never shed. Returns the in-flight count reader.
 */
export function installOverloadShed(
  app: FastifyInstance,
  limits: OverloadLimits,
  pressure: PressureSource,
  random: () => number,
): { inFlight(): number; shed(): number } {
  let inFlight = 0;
  let shed = 0;
  // Callback hooks, not async ones: they run on every device request, and a promise each would be measurable.
  app.addHook("onRequest", (request, reply, next) => {
    if (request.routeOptions.config.auth?.kind !== "device") return next();
    const reason = overloadReason(limits, pressure, inFlight);
    if (reason !== undefined) {
      shed++;
      const seconds = limits.retryAfterS + Math.floor(random() * (limits.retryJitterS + 1));
      void reply.header(wire.RETRY_AFTER_HEADER, String(seconds));
      return next(new EdgewardError("EW_ERR_HUB_OVERLOADED", { detail: reason }));
    }
    inFlight++;
    counted.set(request, uncount);
    next();
  });
  const uncount = () => void inFlight--;
  const done = (request: FastifyRequest, _reply: unknown, next: () => void): void => {
    leaveInFlight(request);
    next();
  };
  app.addHook("onResponse", done);
  app.addHook("onRequestAbort", (request, next) => done(request, undefined, next));
  return { inFlight: () => inFlight, shed: () => shed };
}
