// Writes docs/errors.md from the error registry (npm run docs:errors).
import { writeFileSync } from "node:fs";
import { renderErrorsMarkdown } from "../packages/core/src/errors/markdown.ts";

writeFileSync(new URL("../docs/errors.md", import.meta.url), renderErrorsMarkdown());
