import { AGENT_ERRORS } from "./codes/agent.ts";
import { AGE_ERRORS } from "./codes/age.ts";
import { AUDIT_ERRORS } from "./codes/audit.ts";
import { EVENTLOG_ERRORS } from "./codes/eventlog.ts";
import { FILES_ERRORS } from "./codes/files.ts";
import { DEVICE_ERRORS } from "./codes/device.ts";
import { DEMO_ERRORS } from "./codes/demo.ts";
import { GENERAL_ERRORS } from "./codes/general.ts";
import { HUB_ERRORS } from "./codes/hub.ts";
import { GUARD_ERRORS } from "./codes/guard.ts";
import { REVIEW_ERRORS } from "./codes/review.ts";
import { INFERENCE_ERRORS } from "./codes/inference.ts";
import { OMS_ERRORS } from "./codes/oms.ts";
import { TLOG_ERRORS } from "./codes/tlog.ts";
import { TPM_ERRORS } from "./codes/tpm.ts";
import { TUF_ERRORS } from "./codes/tuf.ts";
import type { ErrorSpec } from "./spec.ts";

/**
 * The one registry of Edgeward error codes (as Fastify's `lib/errors.js`). Each area keeps its codes in
 * `codes/<area>.ts`; a test keeps this registry, the `ErrorCode` type and docs/errors.md in step.
 */
export const ERRORS = {
  ...GENERAL_ERRORS,
  ...FILES_ERRORS,
  ...AGE_ERRORS,
  ...OMS_ERRORS,
  ...TPM_ERRORS,
  ...TLOG_ERRORS,
  ...INFERENCE_ERRORS,
  ...EVENTLOG_ERRORS,
  ...AUDIT_ERRORS,
  ...AGENT_ERRORS,
  ...DEVICE_ERRORS,
  ...HUB_ERRORS,
  ...TUF_ERRORS,
  ...GUARD_ERRORS,
  ...REVIEW_ERRORS,
  ...DEMO_ERRORS,
} as const satisfies Record<string, ErrorSpec>;

/** Every Edgeward error code, as a union of string literals. */
export type ErrorCode = keyof typeof ERRORS;

/** The areas, in the order docs/errors.md lists them. */
export const ERROR_AREAS: ReadonlyArray<{ title: string; codes: Record<string, ErrorSpec> }> = [
  { title: "General", codes: GENERAL_ERRORS },
  { title: "Files and streams", codes: FILES_ERRORS },
  { title: "Sealed models (age)", codes: AGE_ERRORS },
  { title: "Model signatures (OMS)", codes: OMS_ERRORS },
  { title: "TPM and attestation", codes: TPM_ERRORS },
  { title: "Audit log", codes: TLOG_ERRORS },
  { title: "Models and inference", codes: INFERENCE_ERRORS },
  { title: "Firmware event log and secure boot", codes: EVENTLOG_ERRORS },
  { title: "Device audit and egress", codes: AUDIT_ERRORS },
  { title: "Device agent", codes: AGENT_ERRORS },
  { title: "Devices: enrolment, attestation, key release", codes: DEVICE_ERRORS },
  { title: "Hub", codes: HUB_ERRORS },
  { title: "Releases and TUF", codes: TUF_ERRORS },
  { title: "Inference guard", codes: GUARD_ERRORS },
  { title: "Review shipping", codes: REVIEW_ERRORS },
  { title: "Demo", codes: DEMO_ERRORS },
];

/** True when `code` is a registered error code. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}
