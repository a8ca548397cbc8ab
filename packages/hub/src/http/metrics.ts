import type { FastifyInstance } from "fastify";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Prometheus metrics for one app (its own registry, so two apps in one process never share counters): process
 * metrics, per route request counts and durations, and with `dbCommits` the database's COMMITs (SQLite's group
 * commit: requests per COMMIT is what keeps fsyncs off the critical path) and with `shed` the requests shed under
 * overload. Served at GET /metrics in the text
 * exposition format.
 */
export function installMetrics(
  app: FastifyInstance,
  dbCommits?: () => number | undefined,
  shed?: () => number,
): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "edgeward_hub_" });
  if (dbCommits?.() !== undefined)
    new Counter({
      name: "edgeward_hub_db_commits_total",
      help: "COMMITs of the hub's SQLite database (each one fsync; many requests share one)",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(dbCommits() ?? 0);
      },
    });
  if (shed !== undefined)
    new Counter({
      name: "edgeward_hub_shed_total",
      help: "Device requests shed with 503 EW_ERR_HUB_OVERLOADED while the hub was overloaded",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(shed());
      },
    });
  const requests = new Counter({
    name: "edgeward_hub_http_requests_total",
    help: "HTTP requests answered, by method, route and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "edgeward_hub_http_request_duration_seconds",
    help: "Time to answer an HTTP request, by method and route",
    labelNames: ["method", "route"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook("onResponse", (request, reply, done) => {
    // The route pattern, not the URL, so label values stay few (no device ids in labels).
    const route = request.routeOptions.url ?? "unmatched";
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });
  return registry;
}
