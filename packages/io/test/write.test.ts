import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { devNull } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { EdgewardError } from "@edgeward/core";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { ioError, prepareOutput, writeOutput } from "../src/index.ts";

// The library side of safe output files; the CLI's output-targets test points every command at every kind of
// target, these cases cover what a command line cannot reach.
describe("prepareOutput and writeOutput", () => {
  it("when produce fails, the old file is kept and no temporary file is left", async () => {
    using dir = tempDir();
    const path = join(dir.path, "model.age");
    writeFileSync(path, "old");
    const failing = writeOutput(
      path,
      async (out) => {
        await out.writeFile("half");
        throw new EdgewardError("EW_ERR_AGE_PAYLOAD_AUTH");
      },
      { what: "sealed file" },
    );
    await rejectsWithCode(failing, "EW_ERR_AGE_PAYLOAD_AUTH");
    assert.equal(readFileSync(path, "utf8"), "old");
    assert.deepEqual(readdirSync(dir.path), ["model.age"]);
  });

  it("with noClobber, a file created after the check is not replaced either (EW_ERR_OUTPUT_EXISTS)", async () => {
    using dir = tempDir();
    const path = join(dir.path, "device.key");
    const output = await prepareOutput(path, { what: "key", noClobber: true, mode: 0o600 });
    writeFileSync(path, "someone else's key");
    await rejectsWithCode(
      output.write(async (out) => void (await out.writeFile("new key"))),
      "EW_ERR_OUTPUT_EXISTS",
    );
    assert.equal(readFileSync(path, "utf8"), "someone else's key");
    assert.deepEqual(readdirSync(dir.path), ["device.key"]);
  });

  it("a link to a device is written through, unless links are to be replaced (names picked inside a directory)", async () => {
    using dir = tempDir();
    const path = join(dir.path, "quote.msg");
    symlinkSync(devNull, path);
    assert.equal((await prepareOutput(path, { what: "output" })).kind, "device");
    assert.equal((await prepareOutput(path, { what: "quote file", replaceLinks: true })).kind, "replace");
  });

  it("a new file gets the mode asked for, whatever was there before", async () => {
    using dir = tempDir();
    const path = join(dir.path, "model.onnx");
    writeFileSync(path, "old", { mode: 0o644 });
    await writeOutput(path, async (out) => void (await out.writeFile("plaintext")), { what: "model", mode: 0o600 });
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });
});

describe("ioError types ordinary I/O failures", () => {
  const system = (code: string) => Object.assign(new Error(code), { code });
  const cases: [unknown, string][] = [
    [system("EPIPE"), "EW_ERR_IO_PIPE_CLOSED"],
    [system("ENOSPC"), "EW_ERR_IO_NO_SPACE"],
    [system("EDQUOT"), "EW_ERR_IO_NO_SPACE"],
    [system("EISDIR"), "EW_ERR_IO_IS_DIRECTORY"],
    [system("ENOENT"), "EW_ERR_IO"],
    [new EdgewardError("EW_ERR_IO", { cause: system("ENOSPC") }), "EW_ERR_IO_NO_SPACE"],
    [new EdgewardError("EW_ERR_IO", { detail: "ENOSPC in write" }), "EW_ERR_IO_NO_SPACE"],
    [new EdgewardError("EW_ERR_IO", { detail: "EACCES in open" }), "EW_ERR_IO"],
    [new EdgewardError("EW_ERR_SIG_INVALID"), "EW_ERR_SIG_INVALID"],
  ];
  for (const [err, code] of cases)
    it(`${err instanceof EdgewardError ? `${err.code} (${err.detail ?? "cause"})` : String(err)} -> ${code}`, () =>
      assert.equal(ioError(err, "a file").code, code));
});
