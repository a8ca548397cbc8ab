// Thousands of releases stay cheap: measured in bytes (what one release rewrites, what a device downloads),
// never in time (benchmarks live in bench/).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { tempDir } from "@edgeward/testkit";
import { makeClient, makeRepository, type TestRepository } from "./helpers.ts";

const RELEASES = 4096;
const BIN_BITS = 6;

function target(i: number) {
  return {
    path: `model-${i}/1.0.${i}`,
    length: 1000 + i,
    sha256: createHash("sha256").update(`release ${i}`).digest("hex"),
    custom: { name: `model-${i}`, version: `1.0.${i}`, floor: 1, kind: "model", groups: ["fleet"] },
  };
}

/** Bytes the store takes in while `action` runs. */
async function bytesWritten(t: TestRepository, action: () => Promise<void>): Promise<number> {
  let total = 0;
  const putAll = t.store.putAll.bind(t.store);
  t.store.putAll = (files) => {
    for (const file of files) total += file.bytes.length;
    return putAll(files);
  };
  try {
    await action();
  } finally {
    t.store.putAll = putAll;
  }
  return total;
}

async function allBinsBytes(t: TestRepository): Promise<number> {
  let total = 0;
  for (let bin = 0; bin < 2 ** BIN_BITS; bin++) {
    total += (await t.store.get(`releases-${bin.toString(16).padStart(2, "0")}.json`))?.length ?? 0;
  }
  return total;
}

describe("hash-bin delegation at thousands of releases", () => {
  it("one more release rewrites a small fraction of the targets metadata, and a device downloads one bin", async (context) => {
    using dir = tempDir();
    const t = await makeRepository({ binBits: BIN_BITS });
    // Two bytes-per-release figures: one release on a repository of 512, and one on a repository of 4096.
    for (let i = 0; i < 512; i++) await t.repo.publish([target(i)]);
    const at512 = await bytesWritten(t, () => t.repo.publish([target(RELEASES + 1)]));
    for (let start = 512; start < RELEASES; start += 512) {
      await t.repo.publish(Array.from({ length: 512 }, (_, k) => target(start + k)));
    }
    const at4096 = await bytesWritten(t, () => t.repo.publish([target(RELEASES + 2)]));
    const bins = await allBinsBytes(t);
    // A single flat targets role would rewrite every release's entry (`bins` bytes) on each publish; the hashed
    // bins rewrite about 1/64 of it plus a snapshot of 65 entries.
    assert.ok(at4096 * 16 < bins, `one release wrote ${at4096} bytes of ${bins} in all bins`);
    // Eight times the releases costs far less than eight times the bytes per release.
    assert.ok(at4096 < at512 * 5, `${at512} bytes per release at 512, ${at4096} at 4096`);

    const { updater, fetcher } = await makeClient(t, dir.path);
    const info = await updater.getTargetInfo("model-4000/1.0.4000");
    assert.equal(info?.length, 5000);
    assert.ok(fetcher.fetched * 16 < bins, `the device fetched ${fetcher.fetched} bytes of ${bins}`);
    context.diagnostic(
      `releases=${RELEASES + 2} bins=${2 ** BIN_BITS} allBinsBytes=${bins} perRelease@512=${at512} perRelease@4096=${at4096} deviceFetched=${fetcher.fetched}`,
    );
  });
});
