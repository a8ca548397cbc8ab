import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { checkSecureBoot, EV, parseEventLog, replayEventLog, secureBootState, type TcgEvent } from "@edgeward/core";
import { buildLog, EFI_GLOBAL_GUID_BYTES, throwsWithCode, variableData } from "@edgeward/testkit";
import { EXPECTED, fixture, fromHex, SECURE_BOOT_ON } from "./helpers.ts";

describe("Secure Boot from the event log (PFP §3.3.4.8) and the secureBoot: required policy", () => {
  for (const name of SECURE_BOOT_ON) {
    it(`${name}: passes when PCR 7 replays to the quoted value and SecureBoot is 1`, () => {
      const evidence = checkRecorded(name, fixture(name));
      assert.equal(evidence.state.enabled, true);
      assert.equal(Buffer.from(evidence.pcr7).toString("hex"), EXPECTED[name]!.pcrs["sha256"]!["7"]);
      assert.equal(evidence.state.databases.PK?.entries["x509"], 1);
    });
  }

  it("decodes PK, KEK, db and dbx as the firmware measured them (keylime secure-boot log)", () => {
    const state = secureBootState(parseEventLog(fixture("keylime-binary_bios_measurements-secureboot.bin")));
    assert.deepEqual(state.databases, {
      PK: { lists: 1, entries: { x509: 1 } },
      KEK: { lists: 3, entries: { x509: 3 } },
      db: { lists: 4, entries: { x509: 4 } },
      dbx: { lists: 1, entries: { sha256: 371 } },
    });
  });

  it("when a real log records SecureBoot 0, rejects with EW_ERR_SECURE_BOOT_OFF", () => {
    const name = "tpm2-tools-event-gce-ubuntu-2104-log.bin";
    throwsWithCode(() => checkRecorded(name, fixture(name)), "EW_ERR_SECURE_BOOT_OFF");
  });

  it("when SecureBoot is edited to 0 and the event's digests recomputed, the log no longer replays: EW_ERR_EVENTLOG_REPLAY_MISMATCH", () => {
    const name = "tpm2-tools-event-moklisttrusted.bin";
    const edited = secureBootEditedOff(fixture(name), true);
    throwsWithCode(() => checkRecorded(name, edited), "EW_ERR_EVENTLOG_REPLAY_MISMATCH");
    // The same edited log, quoted as it replays (a device that really booted with Secure Boot off): refused.
    const quotedPcrs = replayEventLog(parseEventLog(edited));
    throwsWithCode(() => checkSecureBoot({ eventLog: edited, quotedPcrs }), "EW_ERR_SECURE_BOOT_OFF");
  });

  it("when SecureBoot is edited to 0 but the digests are left, rejects with EW_ERR_EVENTLOG_DIGEST", () => {
    const name = "keylime-binary_bios_measurements-secureboot.bin";
    const edited = secureBootEditedOff(fixture(name), false);
    throwsWithCode(() => checkRecorded(name, edited), "EW_ERR_EVENTLOG_DIGEST");
  });

  it("when a quoted PCR 7 differs by one bit, rejects with EW_ERR_EVENTLOG_REPLAY_MISMATCH", () => {
    const name = "tpm2-tools-event-postcode.bin";
    const quoted = structuredClone(EXPECTED[name]!.pcrs);
    quoted["sha256"]!["7"] = quoted["sha256"]!["7"]!.replace(/^./, (c) => (c === "0" ? "1" : "0"));
    throwsWithCode(
      () => checkSecureBoot({ eventLog: fixture(name), quotedPcrs: fromHex(quoted) }),
      "EW_ERR_EVENTLOG_REPLAY_MISMATCH",
    );
  });

  it("when the quote lacks PCR 7 or the log lacks the bank, rejects with EW_ERR_EVENTLOG_BANK_MISSING", () => {
    const name = "tpm2-tools-event-moklisttrusted.bin";
    const pcrs = fromHex(EXPECTED[name]!.pcrs);
    throwsWithCode(
      () => checkSecureBoot({ eventLog: fixture(name), quotedPcrs: { sha256: { 0: pcrs.sha256![0]! } } }),
      "EW_ERR_EVENTLOG_BANK_MISSING",
    );
    const sha1 = { sha1: { 7: new Uint8Array(20) } };
    throwsWithCode(
      () => checkSecureBoot({ eventLog: fixture(name), quotedPcrs: sha1, bank: "sha1" }),
      "EW_ERR_EVENTLOG_BANK_MISSING",
    );
  });

  it("when the log ends inside an event, rejects with EW_ERR_EVENTLOG_TRUNCATED", () => {
    const name = "tpm2-tools-event-moklisttrusted.bin";
    const bytes = fixture(name);
    throwsWithCode(
      () =>
        checkSecureBoot({ eventLog: bytes.subarray(0, bytes.length - 7), quotedPcrs: fromHex(EXPECTED[name]!.pcrs) }),
      "EW_ERR_EVENTLOG_TRUNCATED",
    );
  });

  it("a log that never measured SecureBoot says null, and the policy refuses it", () => {
    const log = buildLog(["sha256"], [{ pcr: 7, type: EV.SEPARATOR, data: new Uint8Array(4) }]);
    assert.equal(secureBootState(parseEventLog(log)).enabled, null);
    throwsWithCode(
      () => checkSecureBoot({ eventLog: log, quotedPcrs: replayEventLog(parseEventLog(log)) }),
      "EW_ERR_SECURE_BOOT_OFF",
    );
  });

  it("an empty SecureBoot variable (unsupported) reads as disabled", () => {
    const data = variableData(EFI_GLOBAL_GUID_BYTES, "SecureBoot", new Uint8Array(0));
    const log = parseEventLog(buildLog(["sha256"], [{ pcr: 7, type: EV.EFI_VARIABLE_DRIVER_CONFIG, data }]));
    assert.equal(secureBootState(log).enabled, false);
  });
});

/** checkSecureBoot of `eventLog` against the PCR values tpm2_eventlog recorded for the fixture `name`. */
function checkRecorded(name: string, eventLog: Uint8Array): ReturnType<typeof checkSecureBoot> {
  return checkSecureBoot({ eventLog, quotedPcrs: fromHex(EXPECTED[name]!.pcrs) });
}

/**
 * A copy of `bytes` with the SecureBoot variable's value set to 0; with `rehash`, its event's digests recomputed so
 * the event is self-consistent (the edit then shows only in the replayed PCR 7).
 */
function secureBootEditedOff(bytes: Uint8Array, rehash: boolean): Uint8Array {
  const copy = bytes.slice();
  const event = secureBootEvent(parseEventLog(copy).events);
  assert.equal(event.data.at(-1), 1);
  copy[event.data.byteOffset + event.data.length - 1] = 0;
  if (rehash)
    for (const d of event.digests) copy.set(createHash(d.bank).update(event.data).digest(), d.digest.byteOffset);
  return copy;
}

function secureBootEvent(events: readonly TcgEvent[]): TcgEvent {
  const name = Buffer.from("SecureBoot", "utf16le");
  const e = events.find((x) => x.type === EV.EFI_VARIABLE_DRIVER_CONFIG && Buffer.from(x.data).includes(name));
  assert.ok(e);
  return e;
}
