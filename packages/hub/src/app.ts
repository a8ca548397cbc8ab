import type { ServerOptions } from "node:https";
import swagger from "@fastify/swagger";
import Fastify, { type FastifyInstance, type RouteOptions } from "fastify";
import type { HubDeps } from "./deps.ts";
import { installAuditHook } from "./http/audit-hook.ts";
import { installAuthHook } from "./http/auth-hook.ts";
import { ERROR_SCHEMA, frameworkErrors, installErrorHandler } from "./http/error-handler.ts";
import "./http/fastify-types.ts";
import { installMetrics } from "./http/metrics.ts";
import { DEFAULT_OVERLOAD_LIMITS, installOverloadShed } from "./http/overload.ts";
import { processPressure } from "./http/pressure.ts";
import type { RouteInfo } from "./http/route-auth.ts";
import { FEATURES } from "./plugins.ts";

/** Default largest JSON body: device and operator requests are small (releases upload through their own route). */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/** How the app's server is made; only the bin passes TLS settings and listens. */
export interface BuildOptions {
  /** TLS settings of the HTTPS server (bin.ts); tests use `app.inject()` without any server socket. */
  readonly https?: ServerOptions;
}

/**
 * Builds the hub's Fastify app from injected dependencies (STYLE.md, long-running processes): hooks for auth
 * (every route declares who may call it), audit, metrics and errors, then one encapsulated plugin per feature from
 * plugins.ts. Never listens; closing the app closes the dependencies.
 */
export async function buildApp(deps: HubDeps, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.limits?.bodyLimit ?? DEFAULT_BODY_LIMIT,
    return503OnClosing: true,
    requestIdHeader: false,
    frameworkErrors,
    // Unknown properties fail validation (additionalProperties: false) instead of being silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
    ...(options.https === undefined ? {} : { https: options.https }),
  }) as unknown as FastifyInstance;
  app.decorate("hub", deps);
  app.decorate("hubRoutes", [] as RouteInfo[]);
  app.addSchema(ERROR_SCHEMA);
  app.addHook("onRoute", (route) => checkRoute(app, route));
  // JSON only: Fastify's default text/plain parser would hand handlers strings they do not expect.
  app.removeContentTypeParser("text/plain");
  installErrorHandler(app);
  // Before authentication: a shed request costs no database read (docs/hub.md "Overload").
  const pressure = deps.pressure ?? processPressure(() => deps.store.pendingWrites);
  const shedding = installOverloadShed(
    app,
    { ...DEFAULT_OVERLOAD_LIMITS, ...deps.limits?.overload },
    pressure,
    deps.random ?? Math.random,
  );
  installAuthHook(app);
  installAuditHook(app);
  app.decorate(
    "metrics",
    installMetrics(
      app,
      () => deps.store.commits,
      () => shedding.shed(),
    ),
  );
  await app.register(swagger, {
    openapi: {
      info: {
        title: "Edgeward hub",
        version: "0.1.0",
        description: "Operator API (bearer tokens) and device API (mTLS)",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    },
  });
  for (const feature of FEATURES) await app.register(feature.plugin, { prefix: feature.prefix ?? "" });
  app.addHook("onClose", async () => {
    if (deps.pressure === undefined) pressure.close();
    await deps.audit.close();
    await deps.blobs.close();
    await deps.store.close();
  });
  return app;
}

/**
 * Refuses a route without `config.auth` (so no route is public by omission), gives every route the `{code,
 * message}` error answers in its schema, and records it for the route × role matrix.
 */
function checkRoute(app: FastifyInstance, route: RouteOptions): void {
  const auth = route.config?.auth;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (auth === undefined) throw new Error(`route ${methods.join(",")} ${route.url} declares no config.auth`);
  const schema = (route.schema ??= {});
  const response = (schema.response ??= {}) as Record<string, unknown>;
  response["4xx"] ??= { $ref: "HubError#" };
  response["5xx"] ??= { $ref: "HubError#" };
  if (auth.kind === "token") (schema as Record<string, unknown>)["security"] ??= [{ bearer: [] }];
  for (const method of methods) if (method !== "HEAD") app.hubRoutes.push({ method, url: route.url, auth });
}
