// What the review route tests share: sealing with the real age implementation, ship bodies, a stand-in for the
// mTLS peer check (inject() has no TLS socket), devices in the real device table, and the two database backends.
import { createHash } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { parseRecipient, sealStream, wire } from "@edgeward/core";
import { startPostgres, type PostgresServer } from "@edgeward/testkit";
import { insertDevice, type DeviceAuthenticator } from "@edgeward/hub";
import { DenyList } from "../../src/ca/index.ts";
import { DatabaseDeviceStore } from "../../src/device/index.ts";
import { startTestHub, type TestHub, type TestHubOptions } from "../helpers/hub.ts";
import { freshSchema } from "../helpers/postgres.ts";

/** Seals `plaintext` to an age recipient, as the device's review queue does. */
export async function seal(plaintext: Uint8Array, recipient: string): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const c of sealStream([plaintext], [parseRecipient(recipient)])) chunks.push(c);
  return Buffer.concat(chunks);
}

/** The body of POST /v1/device/review for `ciphertext` (with its own SHA-256 unless given another). */
export function shipBody(
  id: string,
  ciphertext: Buffer,
  sha256 = createHash("sha256").update(ciphertext).digest("hex"),
) {
  return { id, sha256, ciphertext: ciphertext.toString("base64") };
}

/** An inject() request of POST /v1/device/review from `device`. */
export function shipRequest(device: string, payload: unknown) {
  return {
    method: "POST" as const,
    url: wire.REVIEW_ROUTES.ship.path,
    headers: { "x-test-device": device, "content-type": "application/json" },
    payload: payload as Record<string, unknown>,
  };
}

/** A stand-in for the mTLS peer check (inject() has no socket): the device id from a header, then the deny list. */
export function headerDeviceAuthMock(deny: () => DenyList): DeviceAuthenticator {
  return async (request: FastifyRequest) => {
    const id = request.headers["x-test-device"];
    if (typeof id !== "string") throw new Error("no x-test-device header");
    await deny().admit(id);
    return { deviceId: id };
  };
}

/** Adds a device row in `state`. */
export async function addDevice(hub: TestHub, id: string, state = "trusted"): Promise<void> {
  const now = hub.clock.now().toISOString();
  await insertDevice(hub.deps.store.db, {
    ...{ id, group_name: "default", state, ek_sha256: null, ak_name: null, ak_public: null },
    ...{ unwrap_public: null, recipient: null, facts: "{}", created_at: now, updated_at: now, last_seen_at: null },
    ...{ last_attest_at: null, last_result: null, last_pass_at: null, next_attest_at: null },
  });
}

/** A test hub whose device routes take the device from `x-test-device`, checked by the real deny list. */
export async function startReviewHub(options: TestHubOptions = {}): Promise<TestHub> {
  const holder: { deny?: DenyList } = {};
  const hub = await startTestHub({
    ...options,
    deps: { ...options.deps, deviceAuth: headerDeviceAuthMock(() => holder.deny!) },
  });
  const devices = new DatabaseDeviceStore(hub.deps.store.db);
  holder.deny = new DenyList((deviceId) => devices.getDevice(deviceId));
  return hub;
}

/** SQLite (files) and a real PostgreSQL (one fresh schema per suite). */
export const BACKENDS: Array<[string, (schema: string) => Promise<{ postgres?: string; close: () => Promise<void> }>]> =
  [
    ["SQLite", () => Promise.resolve({ close: () => Promise.resolve() })],
    [
      "PostgreSQL",
      async (schema) => {
        const pg: PostgresServer = await startPostgres();
        return { postgres: await freshSchema(pg.url, schema), close: () => pg[Symbol.asyncDispose]() };
      },
    ],
  ];
