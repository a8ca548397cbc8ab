// Conformance with the age Community Cryptography Test Vectors (C2SP CCTV, https://c2sp.org/CCTV/age),
// as published in the npm package cctv-age@0.2.0 (the repo's devDependency). Each vector is
// `key: value` lines (expect, payload = SHA-256 of the plaintext, file key, identity, passphrase, armored,
// compressed), a blank line, then the age file. Every vector runs through three paths — openStream,
// openToMemory on bytes, and openToMemory on a FileHandle (worker threads) — and each must give the expected
// outcome with a typed code of the expected category.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { inflateSync } from "node:zlib";
import * as vectors from "cctv-age";
import { tempDir } from "@edgeward/testkit";
import { isEdgewardError } from "../../src/errors/index.ts";
import { parseHeader } from "../../src/age/header.ts";
import { parseIdentities } from "../../src/age/identities.ts";
import { openStream, openToMemory } from "../../src/age/open.ts";
import { dearmorBytes } from "../../src/age/armor.ts";
import { unwrapHeader } from "../../src/age/unwrap.ts";
import type { AgeIdentity } from "../../src/age/types.ts";

interface Vector {
  readonly name: string;
  readonly expect: string;
  readonly payload?: string;
  readonly fileKey: string;
  readonly identities: string[];
  readonly passphrases: string[];
  readonly armored: boolean;
  readonly file: Uint8Array;
}

function parseVector(name: string, raw: Uint8Array): Vector {
  const bytes = Buffer.from(raw);
  const split = bytes.indexOf("\n\n");
  const fields = bytes.subarray(0, split).toString("utf8").split("\n");
  const get = (key: string): string[] =>
    fields.filter((l) => l.startsWith(`${key}: `)).map((l) => l.slice(key.length + 2));
  let file: Uint8Array = bytes.subarray(split + 2);
  if (get("compressed")[0] === "zlib") file = inflateSync(file);
  const payload = get("payload")[0];
  return {
    name,
    expect: get("expect")[0] ?? "",
    ...(payload === undefined ? {} : { payload }),
    fileKey: get("file key")[0] ?? "",
    identities: get("identity"),
    passphrases: get("passphrase"),
    armored: get("armored")[0] === "yes",
    file,
  };
}

const all = Object.entries(vectors as unknown as Record<string, Uint8Array>)
  .filter(([, v]) => v instanceof Uint8Array)
  .map(([name, v]) => parseVector(name, v));

/** The outcome a vector's `expect` names, as a predicate on our typed code (null: success). */
function acceptsCode(vector: Vector, code: string): boolean {
  // We do not implement passphrase (scrypt) files: those vectors must give the unsupported code, unless the
  // generic header rules (or the spec's "an scrypt stanza MUST be the only stanza") reject the file first with
  // the vector's own category.
  if (vector.passphrases.length > 0 && code === "EW_ERR_AGE_SCRYPT_UNSUPPORTED") return true;
  return categoryAccepts(vector.expect, code);
}

function categoryAccepts(expect: string, code: string): boolean {
  switch (expect) {
    case "header failure":
      // The reference reads the 16-byte payload nonce together with the header; here the payload engine reads
      // it, and reports a missing or short nonce as EW_ERR_AGE_PAYLOAD_NONCE.
      return code.startsWith("EW_ERR_AGE_HEADER_") || code === "EW_ERR_AGE_PAYLOAD_NONCE";
    case "HMAC failure":
      return code === "EW_ERR_AGE_HEADER_MAC";
    case "payload failure":
      return code.startsWith("EW_ERR_AGE_PAYLOAD_") && code !== "EW_ERR_AGE_PAYLOAD_NONCE";
    case "no match":
      return code === "EW_ERR_AGE_NO_IDENTITY";
    case "armor failure":
      return code === "EW_ERR_AGE_ARMOR";
    default:
      return false;
  }
}

function sha256Hex(parts: readonly Uint8Array[]): string {
  const hash = createHash("sha256");
  for (const p of parts) hash.update(p);
  return hash.digest("hex");
}

async function viaStream(file: Uint8Array, ids: AgeIdentity[]): Promise<{ chunks: Uint8Array[]; code?: string }> {
  const chunks: Uint8Array[] = [];
  try {
    // Feed the file in odd-sized pieces so the incremental header reader and armor see every boundary.
    const pieces = [];
    for (let i = 0; i < file.length; i += 997) pieces.push(file.subarray(i, i + 997));
    for await (const chunk of openStream(pieces, ids)) chunks.push(chunk);
    return { chunks };
  } catch (err) {
    if (!isEdgewardError(err)) throw err;
    return { chunks, code: err.code };
  }
}

async function outcome(action: () => Promise<Uint8Array>): Promise<{ plaintext?: Uint8Array; code?: string }> {
  try {
    return { plaintext: await action() };
  } catch (err) {
    if (!isEdgewardError(err)) throw err;
    return { code: err.code };
  }
}

describe("C2SP CCTV age vectors (cctv-age 0.2.0)", () => {
  it("the package holds the vector families this implementation covers", () => {
    assert.ok(all.length >= 140, `only ${all.length} vectors`);
    for (const prefix of ["x25519", "hybrid", "armor_", "stanza_", "hmac_", "stream_", "scrypt"]) {
      assert.ok(
        all.some((v) => v.name.startsWith(prefix)),
        prefix,
      );
    }
  });

  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir("edgeward-cctv-");
  });
  after(() => dir[Symbol.dispose]());

  for (const vector of all) {
    const succeeds = vector.expect === "success" && vector.passphrases.length === 0;
    const expectation = succeeds
      ? "opens to the expected plaintext"
      : vector.passphrases.length > 0
        ? `is refused as unsupported scrypt or as a ${vector.expect}`
        : `fails with a ${vector.expect} code`;
    it(`${vector.name}: ${expectation} on every open path`, async () => {
      const ids = vector.identities.length === 0 ? [] : parseIdentities(vector.identities.join("\n"));
      const path = join(dir.path, `${vector.name}.age`);
      await writeFile(path, vector.file);
      const stream = await viaStream(vector.file, ids);
      const bytes = await outcome(() => openToMemory(vector.file, ids));
      const handle = await open(path, "r");
      const fromFile = await outcome(() => openToMemory(handle, ids)).finally(() => handle.close());

      if (succeeds) {
        assert.equal(stream.code, undefined, `stream: ${stream.code}`);
        assert.equal(bytes.code, undefined, `bytes: ${bytes.code}`);
        assert.equal(fromFile.code, undefined, `file: ${fromFile.code}`);
        assert.equal(sha256Hex(stream.chunks), vector.payload);
        assert.equal(sha256Hex([bytes.plaintext ?? new Uint8Array()]), vector.payload);
        assert.equal(sha256Hex([fromFile.plaintext ?? new Uint8Array()]), vector.payload);
        // The unwrapped file key is the vector's.
        const binary = vector.armored ? dearmorBytes(vector.file) : vector.file;
        const fileKey = await unwrapHeader(parseHeader(binary), ids);
        assert.equal(Buffer.from(fileKey).toString("hex"), vector.fileKey);
        return;
      }
      for (const [path_, code] of [
        ["stream", stream.code],
        ["bytes", bytes.code],
        ["file", fromFile.code],
      ] as const) {
        assert.ok(code !== undefined, `${path_}: accepted a file the vector rejects`);
        assert.ok(acceptsCode(vector, code), `${path_}: ${code} is not a ${vector.expect}`);
      }
      assert.equal(bytes.code, stream.code, "the stream and memory paths disagree on the code");
      assert.equal(fromFile.code, stream.code, "the stream and file paths disagree on the code");
      // For a payload failure the vector's payload hash is of what the reference emitted before failing. The
      // stream path emits only authenticated chunks and may withhold the last one the reference released (it
      // holds a full chunk until it knows whether more data follows): so it emits the reference's bytes, or a
      // whole number of chunks that is less.
      if (
        vector.expect === "payload failure" &&
        vector.payload !== undefined &&
        sha256Hex(stream.chunks) !== vector.payload
      ) {
        const emitted = stream.chunks.reduce((n, c) => n + c.length, 0);
        assert.equal(emitted % 65536, 0, "the stream path emitted part of a chunk");
      }
    });
  }
});
