import { EdgewardError, parseIdentities, parseRecipient, parseRecipientsFile } from "@edgeward/core";
import type { AgeIdentity, AgeRecipient } from "@edgeward/core";
import { readTextFile } from "@edgeward/io";

/**
 * Loads every identity from the `-i` files: age identity files (as `age-keygen` writes them, hybrid and
 * software P-256 keys too) and TPM key files from `edgeward tpm keygen`, which decrypt through the TPM.
 */
export async function loadIdentities(paths: readonly string[]): Promise<AgeIdentity[]> {
  if (paths.length === 0) throw new EdgewardError("EW_ERR_USAGE", { detail: "give at least one -i IDENTITY file" });
  const identities: AgeIdentity[] = [];
  // The TPM driver loads only for commands that take identities.
  const { isTpmKeyFile, tpmIdentityFromText } = await import("@edgeward/tpm");
  for (const path of paths) {
    const text = await readTextFile(path, "identity file");
    if (isTpmKeyFile(text)) identities.push(tpmIdentityFromText(text));
    else identities.push(...parseIdentities(text));
  }
  return identities;
}

/** Collects recipients from `-r` strings and `-R` files (one recipient per line, `#` comments). */
export async function loadRecipients(strings: readonly string[], files: readonly string[]): Promise<AgeRecipient[]> {
  const recipients = strings.map((s) => parseRecipient(s));
  for (const path of files) recipients.push(...parseRecipientsFile(await readTextFile(path, "recipients file")));
  if (recipients.length === 0)
    throw new EdgewardError("EW_ERR_USAGE", { detail: "give at least one -r RECIPIENT or -R FILE" });
  return recipients;
}

/** Commander collector for repeatable options (`-r a -r b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
