import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tempDir, throwsWithCode } from "@edgeward/testkit";
import { systemdUnit } from "@edgeward/agent";

describe("the systemd unit", () => {
  it("passes systemd-analyze verify and carries the hardening promise 5 and 3 need", () => {
    using dir = tempDir("edgeward-unit-");
    const unit = systemdUnit({ execStart: "/usr/bin/env true" });
    const path = join(dir.path, "edgeward-agent.service");
    writeFileSync(path, unit);
    const res = spawnSync("systemd-analyze", ["verify", path], { encoding: "utf8" });
    const problems = res.stderr
      .split("\n")
      .filter((l) => l.includes("edgeward-agent.service") && !/Failed to resolve (user|group)/.test(l));
    assert.deepEqual(problems, [], res.stderr);
    for (const line of ["NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "LimitCORE=0"])
      assert.ok(unit.includes(`\n${line}\n`), line);
    assert.match(unit, /\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n/);
  });

  it("a broken directive is caught by the same check (the check can fail)", () => {
    using dir = tempDir("edgeward-unit-");
    const path = join(dir.path, "edgeward-agent.service");
    writeFileSync(path, systemdUnit({ execStart: "/usr/bin/env true" }).replace("PrivateTmp=yes", "PrivateTmp=maybe"));
    const res = spawnSync("systemd-analyze", ["verify", path], { encoding: "utf8" });
    assert.match(res.stderr, /edgeward-agent\.service:\d+: Failed to parse boolean value, ignoring: maybe/);
  });

  it("refuses a state directory outside /var/lib or a listener off loopback (EW_ERR_AGENT_CONFIG)", () => {
    throwsWithCode(() => systemdUnit({ execStart: "x", stateDir: "/etc" }), "EW_ERR_AGENT_CONFIG");
    throwsWithCode(() => systemdUnit({ execStart: "x", listen: "0.0.0.0:80" }), "EW_ERR_AGENT_CONFIG");
  });
});
