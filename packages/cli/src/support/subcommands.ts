import type { Command } from "commander";

/** A subcommand module's register function, loaded on demand. */
export type SubcommandTable = Readonly<Record<string, () => Promise<(parent: Command) => void>>>;

/**
 * Loads the subcommand `sub` names, or every subcommand when `sub` names none (the command's own help, an
 * unknown name that commander will report with suggestions), so a run loads only the code it uses.
 */
export async function loadSubcommands(
  table: SubcommandTable,
  sub: string | undefined,
): Promise<((parent: Command) => void)[]> {
  const chosen = sub !== undefined && Object.hasOwn(table, sub) ? [sub] : Object.keys(table);
  return Promise.all(chosen.map((name) => table[name]!()));
}
