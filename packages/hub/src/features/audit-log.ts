import type { FastifyPluginAsync } from "fastify";
import { EdgewardError } from "@edgeward/core";
import { AUTH } from "../http/route-auth.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const HEX_LIST = { type: "array", items: { type: "string" } } as const;
const INDEX = { type: "integer", minimum: 0, maximum: 2 ** 40 } as const;

/**
 * The hub's audit log for operators and auditors (ARCHITECTURE.md, flows: Audit; promise 10): the latest signed
 * checkpoint (c2sp.org/tlog-checkpoint), an entry with its inclusion proof (RFC 9162 §2.1.3), a consistency proof
 * between two tree sizes (RFC 9162 §2.1.4), and a tlog-proof bundle a device can check offline. Hashes are hex.
 */
export const auditLogPlugin: FastifyPluginAsync = (app) => {
  const reader = () => app.hub.audit.reader;
  app.get(
    "/log/checkpoint",
    {
      config: { auth: AUTH.read },
      schema: {
        response: {
          200: {
            type: "object",
            required: ["size", "checkpoint", "verifierKey"],
            properties: { size: { type: "integer" }, checkpoint: { type: "string" }, verifierKey: { type: "string" } },
            additionalProperties: false,
          },
        },
      },
    },
    async () => {
      const cp = await reader().checkpoint();
      return { size: cp.size, checkpoint: cp.note, verifierKey: app.hub.audit.verifierKey };
    },
  );
  app.get<{ Querystring: { index: number; size?: number } }>(
    "/log/proof",
    {
      config: { auth: AUTH.read },
      schema: {
        querystring: {
          type: "object",
          required: ["index"],
          properties: { index: INDEX, size: INDEX },
          additionalProperties: false,
        },
        response: {
          200: {
            type: "object",
            required: ["index", "treeSize", "entry", "leafHash", "rootHash", "hashes", "checkpoint", "bundle"],
            properties: {
              index: { type: "integer" },
              treeSize: { type: "integer" },
              entry: { type: "string", description: "the entry's bytes, base64" },
              leafHash: { type: "string" },
              rootHash: { type: "string" },
              hashes: HEX_LIST,
              checkpoint: { type: "string" },
              bundle: { type: "string", description: "c2sp.org/tlog-proof under the latest checkpoint" },
            },
            additionalProperties: false,
          },
        },
      },
    },
    async (request) => {
      const { index, size } = request.query;
      const cp = await reader().checkpoint();
      if (index >= cp.size) throw new EdgewardError("EW_ERR_PROOF_RANGE", { detail: `the log has ${cp.size} entries` });
      const proof = await reader().inclusionProof(index, size ?? cp.size);
      return {
        index,
        treeSize: proof.treeSize,
        entry: Buffer.from(await reader().entry(index)).toString("base64"),
        leafHash: hex(proof.leafHash),
        rootHash: hex(proof.rootHash),
        hashes: proof.proof.map(hex),
        checkpoint: cp.note,
        bundle: await reader().proofBundle(index),
      };
    },
  );
  app.get<{ Querystring: { from: number; to?: number } }>(
    "/log/consistency",
    {
      config: { auth: AUTH.read },
      schema: {
        querystring: {
          type: "object",
          required: ["from"],
          properties: { from: INDEX, to: INDEX },
          additionalProperties: false,
        },
        response: {
          200: {
            type: "object",
            required: ["from", "to", "fromRoot", "toRoot", "hashes"],
            properties: {
              from: { type: "integer" },
              to: { type: "integer" },
              fromRoot: { type: "string" },
              toRoot: { type: "string" },
              hashes: HEX_LIST,
            },
            additionalProperties: false,
          },
        },
      },
    },
    async (request) => {
      const p = await reader().consistencyProof(request.query.from, request.query.to);
      return { from: p.size1, to: p.size2, fromRoot: hex(p.root1), toRoot: hex(p.root2), hashes: p.proof.map(hex) };
    },
  );
  return Promise.resolve();
};
