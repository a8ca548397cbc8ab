// Flagged inputs from the field to the reviewer, end to end (docs/agent.md "Review entries"; docs/guard.md "Review
// queue"; ARCHITECTURE.md promise 8): an agent on a swtpm device serves a release published with its guard by a real
// hub process; a blank PNG is rejected by the guard and sealed to the review recipient the agent's configuration
// names; the hub cycle ships it over mTLS and the agent deletes it once acknowledged; an operator downloads it with
// `edgeward hub review get` and `age -d -i` with the review identity recovers exactly the PNG. Neither the agent's
// nor the hub's files hold the PNG in the clear; a viewer is refused, and so is a caller without a device certificate.
// Then the operator deletes it with `edgeward hub review delete`, and it can no longer be listed or downloaded.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { filesHolding, startSwtpm, tempDir, type Swtpm } from "@edgeward/testkit";
import { startDaemon, waitFor, type Daemon } from "../src/fleet/procs.ts";
import { runCli } from "./helpers/cli.ts";
import { cliJson, startCliHub, type CliHub } from "./helpers/cli-hub.ts";

const MODELS = fileURLToPath(new URL("../../guard/models/", import.meta.url));

describe("review entries from the guard to the operator (hub process, swtpm, age CLI)", { timeout: 300_000 }, () => {
  const dir = tempDir("edgeward-review-e2e-");
  const hubDir = join(dir.path, "hub");
  const state = join(dir.path, "state");
  const sock = join(dir.path, "agent.sock");
  const config = join(dir.path, "agent.yaml");
  const reviewKey = join(dir.path, "review.key");
  let tpm: Swtpm;
  let hub: CliHub;
  let agent: Daemon | undefined;

  before(async () => {
    tpm = await startSwtpm();
    hub = await startCliHub(hubDir, "line-r");
  });
  after(async () => {
    await agent?.stop();
    await hub?.serve.stop();
    await tpm?.stop();
    dir[Symbol.dispose]();
  });

  it("seals the rejected PNG, ships it, and the operator's download opens to exactly those bytes", async () => {
    const { enrolToken } = (await cliJson(["hub", "enrol-token", "--group", "line-r", ...hub.admin()])) as {
      enrolToken: string;
    };
    const enrolled = (await cliJson([
      ...["agent", "--tcti", tpm.tcti, "enrol", "--hub", hub.serve.url, "--ca", hub.init.caCertificate],
      ...["--token", enrolToken, "--state", state, "--json"],
    ])) as { deviceId: string };
    const token = async (role: string) =>
      ((await cliJson(["hub", "token", "create", "--dir", hubDir, "--role", role, "--json"])) as { token: string })
        .token;
    const key = join(dir.path, "publisher");
    await cliJson(["sign-keygen", "-o", key, "--json"]);
    await cliJson(["hub", "publishers", "add", `${key}.pub`, "--dir", hubDir, "--json"]);
    await cliJson([
      ...["model", "publish", join(MODELS, "cnn.onnx"), "--hub", hub.serve.url, "--ca", hub.init.caCertificate],
      ...["--token", await token("publisher"), "--name", "fashion", "--version", "1", "--group", "line-r"],
      ...["--sign", `${key}.key`, "--guard", join(MODELS, "guard.yaml"), "--json"],
    ]);

    // The review identity stays with the reviewer; the device knows only its recipient.
    execFileSync("age-keygen", ["-o", reviewKey], { stdio: "ignore" });
    const recipient = execFileSync("age-keygen", ["-y", reviewKey], { encoding: "utf8" }).trim();
    writeFileSync(config, `track: [fashion/1]\nhubIntervalMs: 1000\nreview:\n  recipient: ${recipient}\n`);
    agent = await startDaemon(
      ["agent", "--tcti", tpm.tcti, "run", "--state", state, "--listen", `unix:${sock}`, "--config", config],
      /listening on/,
    );

    const blank = await sharp(Buffer.alloc(784), { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer();
    // curl over the agent's Unix socket, the image on stdin: the input never touches disk on the way in.
    const infer = () =>
      JSON.parse(
        execFileSync(
          "curl",
          [
            ...["-s", "-m", "10", "--unix-socket", sock, "-H", "content-type: image/png"],
            ...["--data-binary", "@-", "http://agent/v1/infer"],
          ],
          { input: blank, encoding: "utf8" },
        ),
      ) as { decision?: string; review?: { id?: string; error?: string } };
    const answer = await waitFor(async () => {
      const a = infer();
      return Promise.resolve(a.decision === undefined ? undefined : a);
    }, 90_000);
    assert.equal(answer?.decision, "reject", `${JSON.stringify(answer)}\n${agent.output()}`);
    const id = answer?.review?.id;
    assert.ok(id !== undefined, JSON.stringify(answer?.review));

    const operator = ["--hub", hub.serve.url, "--token", await token("operator"), "--ca", hub.init.caCertificate];
    const listed = await waitFor(async () => {
      const r = await runCli(["hub", "review", "list", "--device", enrolled.deviceId, ...operator, "--json"]);
      const entries = JSON.parse(r.stdout.toString("utf8") || "[]") as Array<{ id: string; deviceId: string }>;
      return entries.some((e) => e.id === id) ? entries : undefined;
    }, 60_000);
    assert.ok(listed !== undefined, `the hub never listed ${id}\n${agent.output()}`);
    // Deleted on the device only after the hub acknowledged it.
    const gone = await waitFor(async () => {
      const left = readdirSync(join(state, "review")).filter((n) => n.endsWith(".age"));
      return Promise.resolve(left.length === 0 ? true : undefined);
    }, 30_000);
    assert.equal(gone, true, "the shipped entry left the device's queue");

    const out = join(dir.path, "entry.age");
    await cliJson(["hub", "review", "get", enrolled.deviceId, id, "-o", out, ...operator, "--json"]);
    const entry = JSON.parse(execFileSync("age", ["-d", "-i", reviewKey, out], { encoding: "utf8" })) as {
      decision: string;
      input: { kind: string; bytes: string };
    };
    assert.deepEqual([entry.decision, entry.input.kind], ["reject", "image"]);
    assert.deepEqual(Buffer.from(entry.input.bytes, "base64"), blank, "age -d recovers exactly the PNG");

    // Failure paths on the real servers: a viewer's token, and a device call without a device certificate.
    const viewer = ["--hub", hub.serve.url, "--token", await token("viewer"), "--ca", hub.init.caCertificate];
    for (const args of [["list"], ["delete", enrolled.deviceId, id]]) {
      const refused = await runCli(["hub", "review", ...args, ...viewer]);
      assert.notEqual(refused.status, 0);
      assert.match(refused.stderr, /EW_ERR_HUB_FORBIDDEN/);
    }
    const noCert = execFileSync(
      "curl",
      [
        ...["-s", "-m", "10", "--cacert", hub.init.caCertificate, "-H", "content-type: application/json"],
        ...["--data-binary", "{}", `${hub.serve.url}/v1/device/review`],
      ],
      { encoding: "utf8" },
    );
    assert.equal((JSON.parse(noCert) as { code: string }).code, "EW_ERR_HUB_DEVICE_CERT_REQUIRED");

    // The operator deletes the entry (docs/hub.md "Review entries"): then it is neither listed nor downloadable.
    const deleted = await cliJson(["hub", "review", "delete", enrolled.deviceId, id, ...operator, "--json"]);
    assert.deepEqual([deleted["deleted"], deleted["deviceId"], deleted["id"]], [true, enrolled.deviceId, id]);
    for (const args of [
      ["get", enrolled.deviceId, id, "-o", join(dir.path, "again.age")],
      ["delete", enrolled.deviceId, id],
    ]) {
      const gone = await runCli(["hub", "review", ...args, ...operator]);
      assert.notEqual(gone.status, 0);
      assert.match(gone.stderr, /EW_ERR_REVIEW_ENTRY_NOT_FOUND/);
    }
    assert.deepEqual(
      await cliJson(["hub", "review", "list", "--device", enrolled.deviceId, ...operator, "--json"]),
      [],
    );

    await agent.stop();
    agent = undefined;
    await hub.serve.stop();
    // Nothing either side wrote holds the PNG or its base64 in the clear (24-byte fragments), only ciphertext.
    for (const secret of [blank, Buffer.from(blank.toString("base64"))])
      assert.deepEqual(filesHolding([state, hubDir], secret, 24), []);
    assert.ok(readFileSync(out).subarray(0, 21).toString().startsWith("age-encryption.org/v1"));
  });
});
