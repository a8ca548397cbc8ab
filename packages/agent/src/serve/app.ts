/**
 * The agent's local inference API (promise 5), bound by the bin to loopback or a Unix socket. Requests and answers
 * live in memory only: bodies are parsed from the buffer Fastify collected (under a size limit) and never logged or
 * written; the model is only the session in the {@link ModelSlot}.
 *
 * - POST /v1/infer: a JSON body in the form `edgeward run --input` reads, or a `.npy` body
 *   (`application/x-npy` or `application/octet-stream`, bound to the first input, or to `?input=NAME`); answers
 *   `{model: {name, version}, outputs: {name: {type, dims, data}}}`.
 * - POST /v1/infer with an image body (`image/png`, `image/jpeg`, `image/webp`): runs the serving release's guard
 *   and answers its decision, reasons, scores, label and confidence (guarded-infer.ts).
 * - GET /healthz: 200 while a model serves; 503 with the code (tampered, no model) otherwise.
 * - GET /metrics: Prometheus text.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from "fastify";
import { EdgewardError, isEdgewardError } from "@edgeward/core";
import { parseJsonInputs, parseNpy, runInference, type TensorData } from "@edgeward/runtime";
import { ServeMetrics } from "./metrics.ts";
import { GuardSlot } from "./guard-slot.ts";
import { CLIENT_HEADER, clientIdOf, IMAGE_TYPES, inferImage, type GuardAudit } from "./guarded-infer.ts";
import type { ModelSlot } from "./model-slot.ts";
import { outputsToJson } from "./outputs.ts";

/** What {@link buildApp} needs. */
export interface ServeDeps {
  readonly slot: ModelSlot;
  /** The serving release's guard; image requests need one (default: an empty slot). */
  readonly guards?: GuardSlot;
  /** The device log: guard decisions other than accept are recorded there (and shipped with it). */
  readonly audit?: GuardAudit;
  /** Largest request body in bytes (default 16 MiB); a larger one is EW_ERR_INPUT_TOO_LARGE (413). */
  readonly bodyLimit?: number;
  /** Pino options or false; request bodies are never logged either way. */
  readonly logger?: boolean | { readonly level: string };
  readonly metrics?: ServeMetrics;
  /** Closed with the app (the slot's session, the TPM, the log …). */
  readonly closers?: ReadonlyArray<() => Promise<void>>;
}

const NPY_TYPES = ["application/x-npy", "application/octet-stream"];

/** Builds the local API; `listen()` is the caller's. */
export function buildApp(deps: ServeDeps): FastifyInstance {
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: deps.bodyLimit ?? 16 * 1024 * 1024 });
  const metrics = deps.metrics ?? new ServeMetrics();
  const slots = {
    slot: deps.slot,
    guards: deps.guards ?? new GuardSlot(),
    ...(deps.audit === undefined ? {} : { audit: deps.audit }),
  };
  // Bodies stay raw so the one tensor parser shared with `edgeward run` decides what is valid.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => done(null, body));
  app.addContentTypeParser(NPY_TYPES, { parseAs: "buffer" }, (_req, body, done) => done(null, body));
  app.addContentTypeParser(IMAGE_TYPES, { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: FastifyError, _request, reply) => {
    const failure = asEdgewardError(err);
    metrics.refused(failure.code);
    return answer(reply, failure);
  });
  app.setNotFoundHandler((request, reply) =>
    answer(reply, new EdgewardError("EW_ERR_USAGE", { detail: `no route ${request.method} ${request.url}` })),
  );

  app.post<{ Querystring: { input?: string } }>("/v1/infer", async (request) => {
    if (IMAGE_TYPES.includes(request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase() ?? "")) {
      const t0 = performance.now();
      const clientId = clientIdOf(request.socket.remoteAddress, request.headers[CLIENT_HEADER]);
      const guarded = await inferImage(slots, request.body as Buffer, clientId);
      metrics.served(performance.now() - t0);
      return guarded;
    }
    const inputs = decodeInputs(request.body, request.query.input);
    const t0 = performance.now();
    const answer = await deps.slot.use(async (loaded) => {
      const results = await runInference(loaded.session, inputs);
      return {
        model: { name: loaded.name, version: loaded.version },
        outputs: outputsToJson(loaded.session.outputNames, results),
      };
    });
    metrics.served(performance.now() - t0);
    return answer;
  });

  app.get("/healthz", () => {
    const loaded = deps.slot.current();
    return { status: "serving", model: { name: loaded.name, version: loaded.version } };
  });

  app.get("/metrics", (_request, reply) => reply.type("text/plain; version=0.0.4").send(metrics.render(deps.slot)));

  app.addHook("onClose", async () => {
    await deps.slot.close();
    await slots.guards.close();
    for (const close of deps.closers ?? []) await close();
  });
  return app;
}

function decodeInputs(body: unknown, inputName: string | undefined): Map<string, TensorData> {
  if (typeof body === "string") return parseJsonInputs(body);
  if (Buffer.isBuffer(body)) return new Map([[inputName ?? "", parseNpy(body)]]);
  throw new EdgewardError("EW_ERR_INPUT_FORMAT", { detail: "send application/json or application/x-npy" });
}

function asEdgewardError(err: FastifyError): EdgewardError {
  if (isEdgewardError(err)) return err;
  switch (err.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new EdgewardError("EW_ERR_INPUT_TOO_LARGE", { detail: "request body" });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new EdgewardError("EW_ERR_INPUT_FORMAT", { detail: err.message });
    default:
      return err.statusCode !== undefined && err.statusCode < 500
        ? new EdgewardError("EW_ERR_USAGE", { detail: err.message })
        : new EdgewardError("EW_ERR_INTERNAL");
  }
}

function answer(reply: FastifyReply, err: EdgewardError): FastifyReply {
  return reply.code(err.httpStatus).send({ code: err.code, message: err.message });
}
