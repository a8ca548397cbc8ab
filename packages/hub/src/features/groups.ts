import type { FastifyPluginAsync } from "fastify";
import { AUTH } from "../http/route-auth.ts";
import { POLICY_SCHEMA, completePolicy, parseStoredPolicy, type Policy } from "../groups/policy.ts";
import { createGroup, getGroup, listGroups, setGroupPolicy, type GroupRow } from "../store/groups.ts";

const NAME = { type: "string", pattern: "^[a-z0-9][a-z0-9._-]{0,62}$" } as const;

const GROUP = {
  type: "object",
  required: ["name", "policy", "createdAt", "updatedAt", "version"],
  properties: {
    name: { type: "string" },
    policy: { type: "object", additionalProperties: true },
    createdAt: { type: "string" },
    updatedAt: { type: "string" },
    version: { type: "integer" },
  },
  additionalProperties: false,
} as const;

const NAME_PARAMS = { type: "object", required: ["name"], properties: { name: NAME } } as const;

/** Device groups and their policies: every role reads them; admins and operators create and change them. */
export const groupsPlugin: FastifyPluginAsync = (app) => {
  app.get(
    "/groups",
    { config: { auth: AUTH.read }, schema: { response: { 200: { type: "array", items: GROUP } } } },
    async () => (await listGroups(app.hub.store.db)).map(view),
  );
  app.get<{ Params: { name: string } }>(
    "/groups/:name",
    { config: { auth: AUTH.read }, schema: { params: NAME_PARAMS, response: { 200: GROUP } } },
    async (request) => view(await getGroup(app.hub.store.db, request.params.name)),
  );
  app.post<{ Body: { name: string; policy?: Partial<Policy> } }>(
    "/groups",
    {
      config: { auth: AUTH.operate, auditKind: "group.create" },
      schema: {
        body: {
          type: "object",
          required: ["name"],
          properties: { name: NAME, policy: POLICY_SCHEMA },
          additionalProperties: false,
        },
        response: { 201: GROUP },
      },
    },
    async (request, reply) => {
      const policy = completePolicy(request.body.policy ?? {});
      const row = await createGroup(app.hub.store.db, {
        name: request.body.name,
        policy: JSON.stringify(policy),
        now: app.hub.clock.now(),
      });
      note(request.auditNote, row);
      return reply.code(201).send(view(row));
    },
  );
  app.put<{ Params: { name: string }; Body: { policy: Partial<Policy>; version?: number } }>(
    "/groups/:name/policy",
    {
      config: { auth: AUTH.operate, auditKind: "group.policy" },
      schema: {
        params: NAME_PARAMS,
        body: {
          type: "object",
          required: ["policy"],
          properties: { policy: POLICY_SCHEMA, version: { type: "integer", minimum: 0 } },
          additionalProperties: false,
        },
        response: { 200: GROUP },
      },
    },
    async (request) => {
      const policy = completePolicy(request.body.policy);
      const row = await setGroupPolicy(
        app.hub.store.db,
        request.params.name,
        JSON.stringify(policy),
        app.hub.clock.now(),
        request.body.version,
      );
      note(request.auditNote, row);
      return view(row);
    },
  );
  return Promise.resolve();
};

function note(audit: { subject?: string; details: Record<string, unknown> }, row: GroupRow): void {
  audit.subject = `group:${row.name}`;
  audit.details["version"] = row.version;
}

function view(row: GroupRow): Record<string, unknown> {
  return {
    name: row.name,
    policy: parseStoredPolicy(row.policy),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}
