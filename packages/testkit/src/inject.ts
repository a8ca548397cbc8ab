import assert from "node:assert/strict";
import { ERRORS, type ErrorCode } from "@edgeward/core";

/** The part of a Fastify `inject()` answer the assertion reads. */
export interface InjectedResponse {
  readonly statusCode: number;
  readonly body: string;
}

/**
 * Asserts that a server answers `request` (through `app.inject`, no socket) with the error `code`: the registry's
 * HTTP status and a `{code, message}` body. The HTTP twin of {@link rejectsWithCode}; tests assert the code, never
 * the message text (STYLE.md, Tests). Returns the parsed body.
 */
export async function injectFailsWith<R>(
  app: { inject(request: R): PromiseLike<InjectedResponse> },
  request: R,
  code: ErrorCode,
): Promise<{ code: string; message: string }> {
  const res = await app.inject(request);
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    assert.fail(
      `expected ${code}, got status ${res.statusCode} with a body that is not JSON: ${res.body.slice(0, 200)}`,
    );
  }
  const got = body as { code?: unknown; message?: unknown };
  assert.equal(got.code, code, `expected ${code}, got status ${res.statusCode} ${res.body.slice(0, 300)}`);
  assert.equal(res.statusCode, ERRORS[code].http, `${code} must be answered with HTTP ${ERRORS[code].http}`);
  assert.equal(typeof got.message, "string");
  return { code, message: got.message as string };
}
