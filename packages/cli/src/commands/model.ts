import type { Command } from "commander";
import { registerModelPublish } from "./model-publish.ts";

/** `edgeward model`: models and packages as hub releases (ARCHITECTURE.md, flow 1). */
export function registerModel(program: Command): void {
  const model = program.command("model").description("publish models and packages to a hub");
  registerModelPublish(model);
}
