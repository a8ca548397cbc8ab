import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import sharp from "sharp";
import { generateIdentity } from "@edgeward/core";
import { tempDir } from "@edgeward/testkit";
import { reference } from "./models.ts";

// A second observer for promise 5: strace records every byte the guard's process tree writes (files, pipes,
// temporary files anywhere) while it checks and queues a flagged image; none of them is the image or its client id.
const CHILD = fileURLToPath(new URL("./fixtures/check-flagged.ts", import.meta.url));

/** How strace -xx prints bytes: every byte as \xHH. */
const asTraced = (bytes: Uint8Array) => [...bytes].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("");

describe("review queue under strace", () => {
  it("no write of the process tree carries the flagged image or its client id; the sealed entry is written", async () => {
    using dir = tempDir("edgeward-guard-strace-");
    const { recipient } = generateIdentity("x25519");
    const dim = reference("cnn").images[5]!.pixels.map((v) => Math.round((v * 255) / 40)); // covered lens: rejected
    const png = await sharp(Buffer.from(dim), { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer();
    writeFileSync(join(dir.path, "in.png"), png);
    const marker = "client-strace-5b2e";
    const trace = join(dir.path, "trace.txt");
    const res = spawnSync(
      "strace",
      ["-f", "-qq", "-xx", "-s", "1048576", "-e", "trace=write,pwrite64,writev,pwritev,pwritev2", "-o", trace].concat([
        process.execPath,
        CHILD,
        join(dir.path, "in.png"),
        join(dir.path, "queue"),
        recipient,
        marker,
      ]),
      { encoding: "utf8" },
    );
    assert.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout) as { decision: string; review?: { id?: string } };
    assert.equal(out.decision, "reject");
    assert.ok(out.review?.id !== undefined);
    const traced = readFileSync(trace, "utf8");
    assert.ok(traced.includes(asTraced(Buffer.from("age-encryption.org/v1"))), "strace saw the sealed entry written");
    for (const secret of [png.subarray(8, 40), Buffer.from(png.toString("base64").slice(8, 48)), Buffer.from(marker)]) {
      assert.equal(traced.includes(asTraced(secret)), false, "plaintext in a write");
    }
  });
});
