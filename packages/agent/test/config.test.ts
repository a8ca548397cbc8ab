import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { rejectsWithCode, tempDir, throwsWithCode } from "@edgeward/testkit";
import { DEFAULT_CONFIG, loadConfig, parseConfig } from "@edgeward/agent";

describe("the agent's configuration", () => {
  it("reads every documented key from YAML, and an empty file is the defaults", async () => {
    using dir = tempDir("edgeward-config-");
    const path = join(dir.path, "agent.yaml");
    writeFileSync(
      path,
      [
        "track: [ocr-cls/3, fw/2]",
        "hubIntervalMs: 5000",
        "auditIntervalMs: 43200000",
        "installCommand: [/usr/sbin/fw-install, --from-stdin]",
        "requireFreshAttestation: true",
        "tamper:",
        "  - { type: value-file, name: case, path: /sys/class/gpio/gpio17/value, normal: 1 }",
        "  - { type: accelerometer, name: accel, device: /sys/bus/iio/devices/iio:device0, threshold: 50 }",
        "  - { type: command, name: check, command: [/bin/true] }",
        "",
      ].join("\n"),
    );
    const c = await loadConfig(path);
    assert.deepEqual(c.track, ["ocr-cls/3", "fw/2"]);
    assert.deepEqual(c.installCommand, ["/usr/sbin/fw-install", "--from-stdin"]);
    assert.equal(c.requireFreshAttestation, true);
    assert.equal(c.auditIntervalMs, 43_200_000);
    assert.deepEqual(
      c.tamper.map((t) => t.kind),
      ["value-file", "accelerometer", "command"],
    );
    writeFileSync(path, "");
    assert.deepEqual(await loadConfig(path), DEFAULT_CONFIG);
  });

  it("refuses unknown keys, wrong types, out-of-range numbers and bad YAML with EW_ERR_AGENT_CONFIG", async () => {
    for (const bad of [
      { nope: 1 },
      { track: "ocr/1" },
      { hubIntervalMs: 10 },
      { auditIntervalMs: 10 },
      { tamper: [{ type: "laser", name: "x" }] },
      { tamper: [{ type: "value-file", name: "x", path: "/p", extra: 1 }] },
      { tamper: [{ type: "command", name: "x", command: [] }] },
      [],
    ])
      throwsWithCode(() => parseConfig(bad), "EW_ERR_AGENT_CONFIG");
    using dir = tempDir("edgeward-config-");
    writeFileSync(join(dir.path, "bad.yaml"), "track: [unclosed\n");
    await rejectsWithCode(loadConfig(join(dir.path, "bad.yaml")), "EW_ERR_AGENT_CONFIG");
    await rejectsWithCode(loadConfig(join(dir.path, "missing.yaml")), "EW_ERR_AGENT_CONFIG");
  });
});
