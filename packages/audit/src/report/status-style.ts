/**
 * How each check status looks in each report format, in one table so the formats stay in step: the text label and
 * ANSI colour, the HTML colour, and the SARIF result kind and level (SARIF 2.1.0 §3.27.9: a level other than
 * "none" requires kind "fail", so a warning is a failure of level "warning").
 */
import type { CheckStatus } from "../checks/check.ts";

/** The presentation of one status. */
export interface StatusStyle {
  readonly label: string;
  readonly ansi: string;
  readonly html: string;
  readonly sarifKind: "pass" | "fail" | "notApplicable";
  readonly sarifLevel: "none" | "warning" | "error";
}

/** Every status's presentation. */
export const STATUS_STYLE: Readonly<Record<CheckStatus, StatusStyle>> = {
  pass: { label: "PASS", ansi: "\x1b[32m", html: "#1a7f37", sarifKind: "pass", sarifLevel: "none" },
  fail: { label: "FAIL", ansi: "\x1b[31m", html: "#cf222e", sarifKind: "fail", sarifLevel: "error" },
  warn: { label: "WARN", ansi: "\x1b[33m", html: "#9a6700", sarifKind: "fail", sarifLevel: "warning" },
  "not-applicable": { label: "N/A", ansi: "\x1b[90m", html: "#6e7781", sarifKind: "notApplicable", sarifLevel: "none" },
};
