import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { Command } from "commander";
import { COMMANDS } from "../src/commands/index.ts";
import { COMMAND_SUMMARIES } from "../src/commands/summaries.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).href;

/** The files a fresh process loads while running `edgeward ARGS` (module paths, relative to packages/). */
function loadedBy(args: readonly string[]): string[] {
  const script = `
    import { registerHooks } from "node:module";
    const seen = new Set();
    registerHooks({ load(url, c, next) { seen.add(url); return next(url, c); } });
    const { main } = await import(${JSON.stringify(MAIN)});
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = () => true;
    await main(${JSON.stringify(args)});
    write(JSON.stringify([...seen]));`;
  const res = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(res.status, 0, res.stderr);
  return (JSON.parse(res.stdout) as string[]).map((u) => u.replace(/^.*\/(packages|node_modules)\//, "$1/"));
}

describe("start-up loads only what the command needs", () => {
  it("edgeward --help loads no command module, and none of ONNX Runtime, the TPM driver or the log", () => {
    const loaded = loadedBy(["--help"]);
    const commands = loaded.filter((f) => f.startsWith("packages/cli/src/commands/"));
    assert.deepEqual(commands.sort(), ["packages/cli/src/commands/index.ts", "packages/cli/src/commands/summaries.ts"]);
    for (const heavy of ["onnxruntime", "packages/tpm/", "packages/tlog/", "packages/core/src/age/", "@sigstore"])
      assert.ok(!loaded.some((f) => f.includes(heavy)), `${heavy} loaded by --help`);
    // A command's own help still loads that command, and only it.
    const log = loadedBy(["help", "log"]).filter((f) => f.startsWith("packages/cli/src/commands/"));
    assert.ok(log.includes("packages/cli/src/commands/log.ts"));
    assert.ok(!log.some((f) => f.includes("/tpm") || f.includes("/seal")), log.join(", "));
  });

  it("the top-level help lists every command with the description its own file registers", async () => {
    assert.deepEqual(Object.keys(COMMAND_SUMMARIES), Object.keys(COMMANDS));
    for (const [name, load] of Object.entries(COMMANDS)) {
      const program = new Command();
      (await load())(program);
      assert.equal(COMMAND_SUMMARIES[name], program.commands.find((c) => c.name() === name)?.description(), name);
    }
  });
});
