import assert from "node:assert/strict";
import { isEdgewardError, type ErrorCode } from "@edgeward/core";

/**
 * Asserts that `action` (a function, or a promise) fails with an EdgewardError of `code`.
 * Tests assert the code, never message text (STYLE.md, Tests).
 */
export async function rejectsWithCode(action: Promise<unknown> | (() => unknown), code: ErrorCode): Promise<void> {
  let caught: unknown;
  try {
    await (typeof action === "function" ? action() : action);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `expected ${code}, but it succeeded`);
  assert.ok(isEdgewardError(caught), `expected ${code}, got ${describe(caught)}`);
  assert.equal(caught.code, code);
}

/** Synchronous form of {@link rejectsWithCode}. */
export function throwsWithCode(action: () => unknown, code: ErrorCode): void {
  assert.throws(action, (err: unknown) => {
    assert.ok(isEdgewardError(err), `expected ${code}, got ${describe(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : typeof err;
}
