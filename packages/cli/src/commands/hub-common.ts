// Shared plumbing of the `edgeward hub` client commands: where the hub is, the token, the CA, and output.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { EdgewardError } from "@edgeward/core";
import { HubClient } from "@edgeward/hub";
import { printJson, printLines } from "../support/output.ts";

/** The options every operator client command takes. */
export interface HubClientFlags {
  hub: string;
  token?: string;
  ca?: string;
  json?: boolean;
}

/** Adds --hub, --token, --ca and --json to a client command. */
export function withHubOptions(cmd: Command): Command {
  return cmd
    .requiredOption("--hub <url>", "the hub, https://host:port")
    .option("--token <token>", "an operator token (default: $EDGEWARD_HUB_TOKEN)")
    .option("--ca <file>", "PEM file of the CA to trust for the hub (the ca.pem `hub init` made)")
    .option("--json", "print JSON");
}

/** A client for the hub the flags name. */
export async function hubClient(flags: HubClientFlags): Promise<HubClient> {
  const token = flags.token ?? process.env["EDGEWARD_HUB_TOKEN"];
  let ca: string | undefined;
  if (flags.ca !== undefined) {
    try {
      ca = await readFile(flags.ca, "utf8");
    } catch (err) {
      throw new EdgewardError("EW_ERR_IO", { detail: `cannot read the CA file ${flags.ca}`, cause: err });
    }
  }
  return new HubClient({ url: flags.hub, token, ca });
}

/** Prints an answer: JSON with --json, else `key: value` lines (or one line per item of a list). */
export function printAnswer(
  value: unknown,
  json: boolean | undefined,
  line?: (item: Record<string, unknown>) => string,
): void {
  if (json === true) return printJson(value);
  if (Array.isArray(value)) {
    const items = value as Record<string, unknown>[];
    if (items.length === 0) return printLines("(none)");
    return printLines(...items.map((i) => (line === undefined ? JSON.stringify(i) : line(i))));
  }
  const entries = Object.entries((value ?? {}) as Record<string, unknown>);
  printLines(
    ...entries.map(([k, v]) => `${k}: ${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`),
  );
}

/** A path segment, encoded. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
