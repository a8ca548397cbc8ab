import type { Command } from "commander";
import { DEFAULT_COUNTER_INDEX } from "@edgeward/tpm";
import { printJson, printLines } from "../support/output.ts";
import { deviceFrom, parseIndex } from "./tpm-common.ts";

/** `edgeward tpm counter define|read|increment`: the monotonic NV counter that holds the version floor. */
export function registerTpmCounter(tpm: Command): void {
  const counter = tpm
    .command("counter")
    .description("the monotonic NV counter for version floors: define, read, increment (it never goes down)");
  const index = `0x${DEFAULT_COUNTER_INDEX.toString(16).padStart(8, "0")}`;
  for (const [name, description] of [
    ["define", "define the counter if absent and print its value"],
    ["read", "print the counter's value"],
    ["increment", "add one (defining the counter first if absent) and print the new value"],
  ] as const) {
    counter
      .command(name)
      .description(description)
      .option("--index <nv>", "NV index", index)
      .option("--json", "print {index, value} as JSON")
      .action(async (opts: { index: string; json?: boolean }, cmd: Command) => {
        const nv = parseIndex(opts.index);
        const device = deviceFrom(cmd);
        let value: bigint;
        if (name === "read") value = await device.counterRead(nv);
        else if (name === "define") value = await device.counterDefine(nv);
        else {
          await device.counterDefine(nv);
          value = await device.counterIncrement(nv);
        }
        if (opts.json) return printJson({ index: opts.index, value: value.toString() });
        printLines(value.toString());
      });
  }
}
