import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * The PCR values `tpm2_eventlog FILE` (tpm2-tools) replays a TCG event log to, as `{bank: {index: hex}}`: the
 * second implementation the event log parser's tests and benchmark compare against.
 */
export async function tpm2EventlogPcrs(file: string): Promise<Record<string, Record<string, string>>> {
  const { stdout } = await run("tpm2_eventlog", [file], { maxBuffer: 64 * 1024 * 1024 });
  return pcrsFromTpm2EventlogYaml(stdout);
}

/** The `pcrs:` section of tpm2_eventlog's YAML output. */
export function pcrsFromTpm2EventlogYaml(yaml: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let bank: Record<string, string> | undefined;
  for (const line of yaml.slice(yaml.indexOf("\npcrs:")).split("\n")) {
    const b = /^ {2}(\w+):$/.exec(line);
    if (b) out[b[1]!] = bank = {};
    const v = /^\s+(\d+)\s*:\s*0x([0-9a-fA-F]+)/.exec(line);
    if (v && bank) bank[v[1]!] = v[2]!.toLowerCase();
  }
  return out;
}
