import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { EVENTLOG_FIXTURES, tempDir } from "@edgeward/testkit";
import { printedCode, runCli } from "./helpers/cli.ts";

// Real logs from tpm2-tools and Keylime, and the PCR values tpm2_eventlog printed for them (testkit fixtures/eventlog/SOURCES.md).
const EXPECTED = JSON.parse(readFileSync(join(EVENTLOG_FIXTURES, "expected-pcrs.json"), "utf8")) as Record<
  string,
  { pcrs: Record<string, Record<string, string>> }
>;

interface EventlogJson {
  pcrs: Record<string, Record<string, string>>;
  secureBoot: boolean | null;
  events: { index: number; type: string; variable?: { name: string } }[];
}

describe("edgeward tpm eventlog FILE", () => {
  it("--json prints the replayed PCRs of every bank, Secure Boot and the events of a real log", async () => {
    const name = "keylime-binary_bios_measurements-secureboot.bin";
    const res = await runCli(["tpm", "eventlog", join(EVENTLOG_FIXTURES, name), "--json"]);
    assert.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout.toString()) as EventlogJson;
    assert.deepEqual(out.pcrs, EXPECTED[name]!.pcrs);
    assert.equal(out.secureBoot, true);
    assert.equal(out.events.length, 98);
    assert.deepEqual(
      out.events.filter((e) => e.type === "EV_EFI_VARIABLE_DRIVER_CONFIG").map((e) => e.variable?.name),
      ["SecureBoot", "PK", "KEK", "db", "dbx"],
    );
  });

  it("prints a readable summary that says when Secure Boot is disabled", async () => {
    const res = await runCli(["tpm", "eventlog", join(EVENTLOG_FIXTURES, "tpm2-tools-event-gce-ubuntu-2104-log.bin")]);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout.toString(), /secure boot: {2}DISABLED/);
    assert.match(res.stdout.toString(), /sha384:/);
  });

  it("when the log is truncated, exits 4 with EW_ERR_EVENTLOG_TRUNCATED and prints only the error on stdout", async () => {
    using dir = tempDir();
    const bytes = readFileSync(join(EVENTLOG_FIXTURES, "tpm2-tools-event-moklisttrusted.bin"));
    writeFileSync(join(dir.path, "cut.bin"), bytes.subarray(0, bytes.length - 10));
    const res = await runCli(["tpm", "eventlog", join(dir.path, "cut.bin"), "--json"]);
    assert.equal(printedCode(res), "EW_ERR_EVENTLOG_TRUNCATED");
    assert.equal(res.status, 4);
    // No partial output: with --json, stdout holds the error object and nothing of the log.
    assert.deepEqual(Object.keys(JSON.parse(res.stdout.toString()) as object), ["error"]);
  });

  it("when the log is a TPM 1.2 SHA-1 log, exits with EW_ERR_EVENTLOG_UNSUPPORTED", async () => {
    const res = await runCli(["tpm", "eventlog", join(EVENTLOG_FIXTURES, "tpm2-tools-event-uefi-sha1-log.bin")]);
    assert.equal(printedCode(res), "EW_ERR_EVENTLOG_UNSUPPORTED");
  });
});
