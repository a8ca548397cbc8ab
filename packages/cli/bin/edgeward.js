#!/usr/bin/env node
// The `edgeward` command. Edgeward runs on Node.js 24 (its sources are TypeScript that Node 24 runs directly);
// when the shell's `node` is older (Debian's system Node 20), re-run on the Node 24 the repo installs.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import module from "node:module";
import { fileURLToPath } from "node:url";

const major = Number(process.versions.node.split(".")[0]);
if (major >= 24) {
  // Cache compiled, type-stripped modules across runs before any TypeScript loads: start-up is most of a short
  // command's time, and a cached run never loads the type stripper (about 17 MB of memory).
  module.enableCompileCache?.();
  const { main } = await import("../src/main.ts");
  process.exitCode = await main(process.argv.slice(2));
} else {
  const node24 = fileURLToPath(new URL("../../../node_modules/node/bin/node", import.meta.url));
  if (!existsSync(node24)) {
    process.stderr.write("error EW_ERR_INTERNAL: Edgeward needs Node.js 24; run `npm run setup` in the repository\n");
    process.exit(1);
  }
  const res = spawnSync(node24, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(res.status ?? 1);
}
