import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { provisionDevice, stateLayout, writePrivateFile } from "@edgeward/agent";
import { startSwtpm, tempDir, type Swtpm } from "@edgeward/testkit";
import { Tpm2ToolsDevice } from "@edgeward/tpm";
import { printedCode, runCli } from "./helpers/cli.ts";

// `edgeward agent status | tamper | unit` as a user runs them, against swtpm.
describe("edgeward agent status, tamper and unit (swtpm)", { timeout: 120_000 }, () => {
  let tpm: Swtpm;
  const dir = tempDir("edgeward-cli-agent-");
  const state = join(dir.path, "state");
  const layout = stateLayout(state);
  before(async () => {
    tpm = await startSwtpm();
    await provisionDevice(new Tpm2ToolsDevice({ tcti: tpm.tcti }), layout);
    await writePrivateFile(layout.release("r1").header, "header");
  });
  after(async () => {
    await tpm?.stop();
    dir[Symbol.dispose]();
  });
  const agent = (...args: string[]) => runCli(["agent", "--tcti", tpm.tcti, ...args]);

  it("status of a provisioned, not yet enrolled device, as JSON", async () => {
    const res = await agent("status", "--state", state, "--json");
    assert.equal(res.status, 0, res.stderr);
    const s = JSON.parse(res.stdout.toString()) as { enrolled: boolean; recipient: string; tamper: unknown };
    assert.equal(s.enrolled, false);
    assert.match(s.recipient, /^age1tag1/);
    assert.equal(s.tamper, null);
  });

  it("tamper deletes the headers and extends the PCR; status then shows it", async () => {
    const res = await agent("tamper", "--state", state, "--reason", "case opened", "--json");
    assert.equal(res.status, 0, res.stderr);
    assert.equal(existsSync(layout.release("r1").header), false);
    const s = JSON.parse((await agent("status", "--state", state, "--json")).stdout.toString()) as {
      tamper: { source: string; details: string };
    };
    assert.deepEqual([s.tamper.source, s.tamper.details], ["manual", "case opened"]);
  });

  it("status of a directory that holds no state still answers; a broken one exits with EW_ERR_AGENT_STATE", async () => {
    const empty = await agent("status", "--state", join(dir.path, "none"), "--no-tpm", "--json");
    assert.equal(empty.status, 0, empty.stderr);
    await writePrivateFile(join(dir.path, "broken", "device.json"), "{");
    const broken = await agent("status", "--state", join(dir.path, "broken"), "--no-tpm");
    assert.equal(printedCode(broken), "EW_ERR_AGENT_STATE");
  });

  it("unit prints a unit with the hardening, and refuses a state directory outside /var/lib", async () => {
    const res = await runCli(["agent", "unit", "--listen", "127.0.0.1:8080"]);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout.toString(), /--listen 127\.0\.0\.1:8080/);
    assert.match(res.stdout.toString(), /\nNoNewPrivileges=yes\n/);
    assert.equal(printedCode(await runCli(["agent", "unit", "--state", "/etc"])), "EW_ERR_AGENT_CONFIG");
  });
});
