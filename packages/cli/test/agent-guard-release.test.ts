// A release that carries its guard, end to end (docs/releases.md "A guard in a release"; ARCHITECTURE.md "The
// flows" 1, 4 and 5): `edgeward model publish --guard` to a real hub process, `edgeward agent run` on a swtpm
// device downloads model and guard through TUF, opens both with the one released header, and answers an image on
// POST /v1/infer with the guard's decision; a guard payload whose bytes differ from its TUF target is refused while
// version 1 keeps serving; a restart without the hub serves both again; no plaintext model is left on disk.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { parse } from "yaml";
import { filesHolding, filesUnder, startSwtpm, tempDir, type Swtpm } from "@edgeward/testkit";
import { readRuntimeStatus, stateLayout } from "@edgeward/agent";
import { startDaemon, waitFor, type Daemon } from "../src/fleet/procs.ts";
import { runCli } from "./helpers/cli.ts";
import { cliJson, startCliHub, type CliHub } from "./helpers/cli-hub.ts";

const MODELS = fileURLToPath(new URL("../../guard/models/", import.meta.url));
const shipped = (name: string) => readFileSync(join(MODELS, name));
const yamlDigest = createHash("sha256").update(shipped("guard.yaml")).digest("hex");
// The stages the shipped guard file configures, read from the YAML itself rather than through the guard package.
const yamlStages = Object.keys((parse(shipped("guard.yaml").toString("utf8")) as { stages: object }).stages);
const garment = (JSON.parse(shipped("cnn.reference.json").toString("utf8")) as { input: number[][] }).input[3]!.map(
  (v) => Math.round(v * 255),
);
const png = (pixels: number[]) =>
  sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } })
    .png()
    .toBuffer();

describe(
  "a release with its guard, from model publish --guard to the agent's answer (hub process, swtpm)",
  {
    timeout: 300_000,
  },
  () => {
    const dir = tempDir("edgeward-guard-e2e-");
    const hubDir = join(dir.path, "hub");
    const state = join(dir.path, "state");
    const sock = join(dir.path, "agent.sock");
    const config = join(dir.path, "agent.yaml");
    let tpm: Swtpm;
    let hub: CliHub;
    let agent: Daemon | undefined;
    const inputs: Buffer[] = [];

    const runAgent = async () => {
      agent = await startDaemon(
        ["agent", "--tcti", tpm.tcti, "run", "--state", state, "--listen", `unix:${sock}`, "--config", config],
        /listening on/,
      );
    };
    // curl over the agent's Unix socket, the image on stdin: the input never touches disk.
    const infer = async (pixels: number[], client: string) => {
      const body = await png(pixels);
      inputs.push(body);
      const out = execFileSync(
        "curl",
        [
          ...["-s", "-m", "10", "--unix-socket", sock, "-H", "content-type: image/png"],
          ...["-H", `x-edgeward-client: ${client}`, "--data-binary", "@-", "http://agent/v1/infer"],
        ],
        { input: body, encoding: "utf8" },
      );
      return JSON.parse(out) as { decision: string; model: unknown; guard: { digest: string }; reasons: unknown[] };
    };

    before(async () => {
      tpm = await startSwtpm();
      hub = await startCliHub(hubDir, "line-a");
    });
    after(async () => {
      await agent?.stop();
      await hub?.serve.stop();
      await tpm?.stop();
      dir[Symbol.dispose]();
    });

    it("serves the model with its guard, refuses a guard payload TUF does not vouch for, and re-opens both without the hub", async () => {
      const { enrolToken } = (await cliJson(["hub", "enrol-token", "--group", "line-a", ...hub.admin()])) as {
        enrolToken: string;
      };
      await cliJson([
        ...["agent", "--tcti", tpm.tcti, "enrol", "--hub", hub.serve.url, "--ca", hub.init.caCertificate],
        ...["--token", enrolToken, "--state", state, "--json"],
      ]);
      const key = join(dir.path, "publisher");
      await cliJson(["sign-keygen", "-o", key, "--json"]);
      await cliJson(["hub", "publishers", "add", `${key}.pub`, "--dir", hubDir, "--json"]);
      const { token } = (await cliJson([
        "hub",
        "token",
        "create",
        "--dir",
        hubDir,
        "--role",
        "publisher",
        "--json",
      ])) as {
        token: string;
      };
      const published: Record<string, { sha256: string; id: string }> = {};
      for (const version of ["1", "2"]) {
        const r = await cliJson([
          ...["model", "publish", join(MODELS, "cnn.onnx"), "--hub", hub.serve.url, "--ca", hub.init.caCertificate],
          ...["--token", token, "--name", "fashion", "--version", version, "--group", "line-a"],
          ...["--sign", `${key}.key`, "--guard", join(MODELS, "guard.yaml"), "--json"],
        ]);
        published[version] = { sha256: (r["guard"] as { sha256: string }).sha256, id: String(r["id"]) };
      }
      // Version 2's guard payload changes in the hub's blob store after publishing: its TUF target no longer matches.
      const blob = join(hubDir, "blobs", published["2"]!.sha256.slice(0, 2), published["2"]!.sha256);
      const bytes = readFileSync(blob);
      bytes[100] = (bytes[100] ?? 0) ^ 1;
      writeFileSync(blob, bytes);

      writeFileSync(config, "track: [fashion/1, fashion/2]\nhubIntervalMs: 1000\n");
      await runAgent();
      const layout = stateLayout(state);
      const refused = await waitFor(async () => (await readRuntimeStatus(layout)).lastError, 60_000);
      assert.equal(refused?.code, "EW_ERR_AGENT_TARGET_MISMATCH", agent?.output());

      const clean = await infer(garment, "cam-1");
      assert.equal(clean.decision, "accept", JSON.stringify(clean.reasons));
      assert.deepEqual([clean.model, clean.guard.digest], [{ name: "fashion", version: "1" }, yamlDigest]);
      const blank = await infer(new Array<number>(784).fill(0), "cam-2");
      assert.equal(blank.decision, "reject", "the guard's statistics gate runs");

      // The audit reads this section (contract section 4): the guard loaded is the one the release names.
      const audited = JSON.parse(readFileSync(join(state, "state.json"), "utf8")) as { guard?: unknown };
      assert.deepEqual(audited.guard, {
        source: "release",
        digest: yamlDigest,
        releaseDigest: yamlDigest,
        stages: yamlStages,
      });
      // `edgeward audit` on this real agent's state directory: promise 8 passes, its evidence cross-checked against
      // the TUF metadata the agent cached (the running target's custom.guard.configSha256).
      const run = await runCli(["audit", "--state", state, "--format", "json"]);
      const report = JSON.parse(run.stdout.toString("utf8")) as {
        checks: { id: string; status: string; evidence: string[] }[];
      };
      const promise8 = report.checks.find((c) => c.id === "promise-8-guard");
      assert.equal(promise8?.status, "pass", JSON.stringify(promise8));
      assert.ok(
        promise8.evidence.some((e) => e.includes(yamlDigest.slice(0, 12)) || e.includes("configSha256")),
        promise8.evidence.join("\n"),
      );

      // Restart without the hub: model and guard open again from the stored ciphertext and header.
      await agent?.stop();
      await hub.serve.stop();
      await runAgent();
      const again = await waitFor(async () => {
        const a = await infer(garment, "cam-3");
        return a.decision === undefined ? undefined : a;
      }, 30_000);
      assert.deepEqual([again?.decision, again?.guard.digest], ["accept", yamlDigest], agent?.output());
      await agent?.stop();

      // Nothing the hub or the agent wrote holds a 64-byte fragment of either model or of an input sent.
      assert.deepEqual(filesHolding([state, hubDir], [shipped("cnn.onnx"), shipped("mlp.onnx"), ...inputs]), []);
      // What was scanned: the guard kept encrypted beside version 1's model, and the hub's blobs.
      const guardAge = readFileSync(join(layout.release(published["1"]!.id).dir, "guard.age"));
      assert.equal(createHash("sha256").update(guardAge).digest("hex"), published["1"]!.sha256);
      assert.ok(filesUnder(state).length + filesUnder(hubDir).length > 10);
    });
  },
);
