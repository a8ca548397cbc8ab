// The payload half of the age conformance vectors (the cctv-age npm package, from C2SP/CCTV's age/testdata).
// Each vector states its file key, so the payload after the header's MAC line is checked here without
// recipients; the header helper's conformance test runs the whole files. Every vector is decrypted by the
// streaming decoder and by the file paths, which must agree.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, describe, it } from "node:test";
import { inflateSync } from "node:zlib";
import * as vectors from "cctv-age";
import { tempDir } from "@edgeward/testkit";
import { shutdownPayloadWorkers } from "../../../src/age/stream/index.ts";
import { decryptEveryWay } from "./helpers.ts";

const dir = tempDir("edgeward-stream-cctv-");
after(async () => {
  await shutdownPayloadWorkers();
  dir[Symbol.dispose]();
});

/** The code each failing STREAM vector must get (its comment in CCTV says what is wrong with it). */
const STREAM_FAILURES: Record<string, string> = {
  stream_bad_tag: "EW_ERR_AGE_PAYLOAD_AUTH",
  stream_bad_tag_second_chunk: "EW_ERR_AGE_PAYLOAD_AUTH",
  stream_bad_tag_second_chunk_full: "EW_ERR_AGE_PAYLOAD_AUTH",
  stream_last_chunk_empty: "EW_ERR_AGE_PAYLOAD_EMPTY_LAST_CHUNK",
  stream_missing_tag: "EW_ERR_AGE_PAYLOAD_TRUNCATED",
  stream_no_chunks: "EW_ERR_AGE_PAYLOAD_TRUNCATED",
  stream_no_final: "EW_ERR_AGE_PAYLOAD_TRUNCATED",
  stream_no_final_full: "EW_ERR_AGE_PAYLOAD_TRUNCATED",
  stream_no_final_two_chunks: "EW_ERR_AGE_PAYLOAD_TRUNCATED",
  stream_no_final_two_chunks_full: "EW_ERR_AGE_PAYLOAD_TRUNCATED",
  stream_no_nonce: "EW_ERR_AGE_PAYLOAD_NONCE",
  stream_short_chunk: "EW_ERR_AGE_PAYLOAD_TRUNCATED",
  stream_short_nonce: "EW_ERR_AGE_PAYLOAD_NONCE",
  stream_short_second_chunk: "EW_ERR_AGE_PAYLOAD_TRUNCATED",
  stream_trailing_garbage_long: "EW_ERR_AGE_PAYLOAD_TRAILING_DATA",
  stream_trailing_garbage_short: "EW_ERR_AGE_PAYLOAD_TRAILING_DATA",
  stream_two_final_chunks: "EW_ERR_AGE_PAYLOAD_TRAILING_DATA",
  stream_two_final_chunks_full: "EW_ERR_AGE_PAYLOAD_TRAILING_DATA",
  stream_two_final_chunks_second: "EW_ERR_AGE_PAYLOAD_TRAILING_DATA",
  // A short final chunk followed by another: read as one longer chunk, which does not authenticate.
  stream_two_final_chunks_short: "EW_ERR_AGE_PAYLOAD_AUTH",
};

interface Vector {
  readonly name: string;
  readonly meta: Readonly<Record<string, string>>;
  readonly fileKey: Buffer;
  /** The bytes after the header's MAC line: nonce and chunks. */
  readonly payload: Buffer;
}

/** Parses a CCTV test file: `key: value` lines, a blank line, then the (maybe zlib-compressed) age file. */
function parseVector(name: string, bytes: Uint8Array): Vector | undefined {
  const raw = Buffer.from(bytes);
  const split = raw.indexOf("\n\n");
  const meta: Record<string, string> = {};
  for (const line of raw.subarray(0, split).toString("utf8").split("\n")) {
    const at = line.indexOf(": ");
    meta[line.slice(0, at)] = line.slice(at + 2);
  }
  const key = meta["file key"];
  if (key === undefined || meta.armored === "yes") return undefined;
  const file = meta.compressed === "zlib" ? inflateSync(raw.subarray(split + 2)) : raw.subarray(split + 2);
  // c2sp.org/age §Header: the header ends with the line "--- MAC"; the payload starts right after its newline.
  const mac = file.indexOf("\n--- ");
  const end = mac < 0 ? -1 : file.indexOf("\n", mac + 1);
  if (end < 0) return undefined;
  return { name, meta, fileKey: Buffer.from(key, "hex"), payload: file.subarray(end + 1) };
}

const all = Object.entries(vectors as Record<string, Uint8Array>)
  .map(([name, bytes]) => parseVector(name, bytes))
  .filter((v): v is Vector => v !== undefined);

describe("cctv-age payload vectors", () => {
  it("the package has the STREAM vectors this test names", () => {
    const names = new Set(all.filter((v) => v.name.startsWith("stream_")).map((v) => v.name));
    for (const name of Object.keys(STREAM_FAILURES)) assert.ok(names.has(name), name);
    assert.ok(names.has("stream_257_chunks") && names.has("stream_empty_payload"));
  });

  for (const vector of all.filter((v) => v.meta.expect === "success")) {
    it(`${vector.name}: every path opens the payload to the stated plaintext hash`, async () => {
      for (const [path, outcome] of await decryptEveryWay(vector.fileKey, dir.path, vector.payload)) {
        assert.ok("ok" in outcome, `${path}: ${"code" in outcome ? outcome.code : ""}`);
        assert.equal(createHash("sha256").update(outcome.ok).digest("hex"), vector.meta.payload, path);
      }
    });
  }

  for (const [name, code] of Object.entries(STREAM_FAILURES)) {
    it(`${name}: every path rejects with ${code}`, async () => {
      const vector = all.find((v) => v.name === name);
      assert.ok(vector !== undefined);
      assert.notEqual(vector.meta.expect, "success");
      for (const [path, outcome] of await decryptEveryWay(vector.fileKey, dir.path, vector.payload)) {
        assert.ok("code" in outcome, `${path} accepted ${name}`);
        assert.equal(outcome.code, code, path);
      }
    });
  }
});
