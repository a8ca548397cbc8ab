import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Command } from "commander";
import { EVENTLOG_FIXTURES, tempDir } from "@edgeward/testkit";
import { COMMANDS } from "../src/commands/index.ts";
import { COMMAND_SUMMARIES } from "../src/commands/summaries.ts";
import { runCli } from "./helpers/cli.ts";

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
    const status = await main(${JSON.stringify(args)});
    if (status !== 0) process.stderr.write("EW_ERR_ exit status " + status);
    write(JSON.stringify([...seen]));`;
  const res = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(res.status, 0, res.stderr);
  assert.doesNotMatch(res.stderr, /EW_ERR_/, "the command itself must succeed for its count to mean anything");
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

/**
 * Module counts measured when each command stopped loading the package roots (core's OMS and TPM code, @edgeward/io's
 * sealed-model flows, every sibling subcommand): inspect 59, log verify 72, tpm eventlog 52, from 142, 179 and 170.
 * A few modules of slack; a regression to a root import adds dozens.
 */
const MODULE_BUDGET = { inspect: 62, "log verify": 76, "tpm eventlog": 56 };

describe("commands a device runs from scripts load only their own code", () => {
  it("a command's own help still lists every subcommand, however it is asked for", async () => {
    const tpm = ["status", "keygen", "quote", "verify-quote", "extend", "counter", "eventlog"];
    const log = ["init", "append", "checkpoint", "prove", "verify"];
    for (const [args, names] of [
      [["tpm", "--help"], tpm],
      [["help", "tpm", "eventlog"], tpm],
      [["tpm", "help"], tpm],
      [["log", "--help"], log],
      [["help", "log", "verify"], log],
    ] as const) {
      const res = await runCli(args);
      const listed = [...res.stdout.toString().matchAll(/^ {2}([a-z][a-z-]*) /gm)]
        .map((m) => m[1])
        .filter((n) => n !== "help");
      assert.deepEqual(listed, names, args.join(" "));
    }
  });

  it("inspect, log verify and tpm eventlog stay within their module counts and load no OMS, TPM driver or signer", async () => {
    using dir = tempDir();
    const key = join(dir.path, "id.key");
    const recipient = (await runCli(["keygen", "-o", key])).stdout.toString().match(/age1[0-9a-z]+/)?.[0];
    assert.ok(recipient, "keygen printed a recipient");
    const model = join(dir.path, "model.bin");
    const sealed = join(dir.path, "model.age");
    spawnSync("sh", ["-c", `head -c 70000 /dev/urandom > '${model}'`]);
    assert.equal((await runCli(["seal", "-r", recipient, "-o", sealed, model])).status, 0);
    const db = join(dir.path, "log.db");
    const init = await runCli(["log", "init", "--db", db, "--origin", "edgeward.test/startup", "--key", `${db}.key`]);
    assert.equal(init.status, 0, init.stderr);
    const vkey = init.stdout.toString().trim().split("\n").at(-1)!;

    const runs = {
      inspect: ["inspect", sealed],
      "log verify": ["log", "verify", "--db", db, "--vkey", vkey],
      "tpm eventlog": ["tpm", "eventlog", join(EVENTLOG_FIXTURES, "keylime-binary_bios_measurements.bin")],
    };
    for (const [name, args] of Object.entries(runs)) {
      const loaded = loadedBy(args);
      const budget = MODULE_BUDGET[name as keyof typeof MODULE_BUDGET];
      assert.ok(
        loaded.length <= budget,
        `${name} loaded ${loaded.length} modules (budget ${budget}):\n${loaded.join("\n")}`,
      );
      for (const heavy of [
        "packages/core/src/index.ts",
        "packages/core/src/oms/",
        "@sigstore",
        "packages/tpm/",
        "onnxruntime",
      ])
        assert.ok(!loaded.some((f) => f.includes(heavy)), `${name} loaded ${heavy}`);
      const siblings = loaded.filter((f) => /commands\/(log|tpm)-/.test(f) && !f.endsWith("-common.ts"));
      assert.ok(siblings.length <= 1, `${name} loaded sibling subcommands: ${siblings.join(", ")}`);
    }
  });
});
