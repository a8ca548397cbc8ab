import type { ErrorSpec } from "../spec.ts";

/** Error codes of the age area. Each code is documented in docs/errors.md (generated: npm run docs:errors). */
export const AGE_ERRORS = {} as const satisfies Record<string, ErrorSpec>;
