/** The JSON Schema (draft-07) of the audit report, `edgeward audit --format json` (docs/audit.md). */
import schema from "./audit-report.schema.json" with { type: "json" };

/** The schema object, for validators (ajv) and for the hub. */
export const AUDIT_REPORT_SCHEMA: Readonly<Record<string, unknown>> = schema;
