import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { isEdgewardError } from "@edgeward/core/errors";
import { openStore } from "@edgeward/tlog/open";

/** The bare and built-in modules a fresh Node process resolves while importing `specifier`. */
function loadedBy(specifier: string): string[] {
  const script = `
    import { registerHooks } from "node:module";
    const seen = new Set();
    registerHooks({ resolve(s, c, next) { if (!s.startsWith(".") && !s.startsWith("file:")) seen.add(s); return next(s, c); } });
    await import(${JSON.stringify(specifier)});
    process.stdout.write(JSON.stringify([...seen]));`;
  const res = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: import.meta.dirname,
    encoding: "utf8",
  });
  assert.equal(res.status, 0, res.stderr);
  return JSON.parse(res.stdout) as string[];
}

describe("@edgeward/tlog exports", () => {
  it("the package root loads no database driver: a device that only checks proofs never loads pg or node:sqlite", () => {
    const loaded = loadedBy("@edgeward/tlog");
    // Only core's error registry, not its age, OMS and TPM code.
    assert.ok(loaded.includes("@edgeward/core/errors") && !loaded.includes("@edgeward/core"), loaded.join(", "));
    for (const driver of ["pg", "node:sqlite"])
      assert.ok(!loaded.includes(driver), `${driver} in ${loaded.join(", ")}`);
  });

  it("each store's subpath loads its own driver and not the other's", () => {
    const pgSide = loadedBy("@edgeward/tlog/postgres");
    assert.ok(pgSide.includes("pg") && !pgSide.includes("node:sqlite"), pgSide.join(", "));
    const sqliteSide = loadedBy("@edgeward/tlog/sqlite");
    assert.ok(sqliteSide.includes("node:sqlite") && !sqliteSide.includes("pg"), sqliteSide.join(", "));
  });
});

describe("openStore", () => {
  it("speaks the library's terms: a location that is neither or both is EW_ERR_LOG_STORAGE, naming no CLI flag", async () => {
    for (const where of [{}, { db: "a.db", postgres: "postgres://x" }]) {
      const err = await openStore(where).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(isEdgewardError(err, "EW_ERR_LOG_STORAGE"), String(err));
      assert.doesNotMatch(`${err.message} ${err.detail ?? ""}`, /--/);
    }
  });
});
