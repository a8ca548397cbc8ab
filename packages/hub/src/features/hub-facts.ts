import type { FastifyPluginAsync } from "fastify";
import { AUTH } from "../http/route-auth.ts";

const FACTS = {
  type: "object",
  required: ["caCertificate", "escrowRecipient", "logVerifierKey", "tufRoot"],
  properties: {
    caCertificate: { type: "string", description: "The device CA certificate, PEM" },
    escrowRecipient: { type: "string", description: "The age recipient release file keys are wrapped to" },
    logVerifierKey: { type: "string", description: "The hub log's verifier key (c2sp.org/signed-note)" },
    tufRoot: { type: "object", additionalProperties: true, description: "The initial TUF root (1.root.json)" },
    publisherKeys: {
      type: "array",
      items: { type: "string" },
      description: "OMS publisher keys (SPKI PEM) whose release signatures the hub accepts",
    },
  },
  additionalProperties: false,
} as const;

/** GET /v1/hub: the public facts a publisher, an operator or a device pins (WIRE.md, operator API). */
export const hubFactsPlugin: FastifyPluginAsync = (app) => {
  app.get("/hub", { config: { auth: AUTH.public }, schema: { response: { 200: FACTS } } }, () => app.hub.facts());
  return Promise.resolve();
};
