import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { EdgewardError, ERRORS, ERROR_AREAS, isEdgewardError, renderErrorsMarkdown } from "@edgeward/core";

describe("error registry", () => {
  it("every code is EW_ERR_ upper snake case, with a one-line message and a valid exit and HTTP status", () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      assert.match(code, /^EW_ERR_[A-Z0-9_]+$/, code);
      assert.ok(spec.message.length > 10 && !spec.message.includes("\n") && !spec.message.endsWith("."), code);
      assert.ok(Number.isInteger(spec.exit) && spec.exit >= 1 && spec.exit <= 125, code);
      assert.ok(spec.http >= 400 && spec.http <= 599, code);
    }
  });

  it("no code is defined in two areas", () => {
    const seen = new Set<string>();
    for (const area of ERROR_AREAS)
      for (const code of Object.keys(area.codes)) {
        assert.ok(!seen.has(code), `duplicate ${code}`);
        seen.add(code);
      }
    assert.equal(seen.size, Object.keys(ERRORS).length);
  });

  it("docs/errors.md is the registry rendered (run npm run docs:errors when this fails)", () => {
    const doc = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    assert.equal(doc, renderErrorsMarkdown());
  });

  it("an EdgewardError carries its code, exit status and detail, and is recognised by code", () => {
    const err = new EdgewardError("EW_ERR_USAGE", { detail: "missing -o" });
    assert.equal(err.code, "EW_ERR_USAGE");
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /missing -o$/);
    assert.ok(isEdgewardError(err, "EW_ERR_USAGE"));
    assert.ok(!isEdgewardError(err, "EW_ERR_IO"));
    assert.ok(!isEdgewardError(new Error("x")));
  });
});
