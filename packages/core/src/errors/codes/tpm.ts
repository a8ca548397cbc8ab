import type { ErrorSpec } from "../spec.ts";

/** Error codes of the tpm area. Each code is documented in docs/errors.md (generated: npm run docs:errors). */
export const TPM_ERRORS = {} as const satisfies Record<string, ErrorSpec>;
