import type { FastifyInstance } from "fastify";

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Every successful mutating operator call becomes an audit-log entry naming the token's id (ARCHITECTURE.md: every
 * security decision appends to the audit log), before the answer is sent: the client sees success only once the
 * entry is durable. Handlers name the subject and add details through `request.auditNote`.
 */
export function installAuditHook(app: FastifyInstance): void {
  app.decorateRequest("auditNote", null as never);
  app.addHook("onRequest", (request, _reply, done) => {
    request.auditNote = { details: {} };
    done();
  });
  app.addHook("onSend", async (request, reply, payload) => {
    const operator = request.operator;
    if (operator === null || READS.has(request.method) || reply.statusCode >= 400) return payload;
    const route = request.routeOptions.url ?? request.url;
    await app.hub.audit.append({
      time: app.hub.clock.now().toISOString(),
      actor: `token:${operator.tokenId}`,
      kind: request.routeOptions.config.auditKind ?? "api.call",
      subject: request.auditNote.subject ?? route,
      details: { ...request.auditNote.details, method: request.method, route, role: operator.role },
    });
    return payload;
  });
}
