import { ERROR_AREAS } from "./registry.ts";

/** Renders docs/errors.md from the registry, so the doc can never drift from the code. */
export function renderErrorsMarkdown(): string {
  const lines = [
    "# Error codes",
    "",
    "Every failure Edgeward reports carries one of these codes. The CLI prints the code and the message and exits",
    "with the status shown; the hub answers with the HTTP status shown. Scripts should branch on the code.",
    "",
    "This file is generated from `packages/core/src/errors/codes/*.ts` by `npm run docs:errors`; a test fails",
    "when it is out of date.",
    "",
  ];
  for (const area of ERROR_AREAS) {
    const entries = Object.entries(area.codes);
    if (entries.length === 0) continue;
    lines.push(`## ${area.title}`, "", "| code | exit | http | message |", "|---|---|---|---|");
    for (const [code, spec] of entries) lines.push(`| \`${code}\` | ${spec.exit} | ${spec.http} | ${spec.message} |`);
    lines.push("");
  }
  return lines.join("\n");
}
