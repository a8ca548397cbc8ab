import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyFile } from "@edgeward/audit";

const hex = (h: string): Buffer => Buffer.from(h, "hex");

describe("file classification for the promise 1 and 5 scans", () => {
  it("recognises keys, models, images and tensors by their first bytes or name", () => {
    assert.equal(classifyFile("id.txt", Buffer.from("# created\nAGE-SECRET-KEY-1ABC")), "age-identity");
    assert.equal(classifyFile("k", Buffer.from("-----BEGIN EC PRIVATE KEY-----\n")), "private-key");
    assert.equal(classifyFile("k", Buffer.from("-----BEGIN PRIVATE KEY-----\n")), "private-key");
    assert.equal(classifyFile("det.onnx", hex("0807")), "model");
    assert.equal(classifyFile("m.bin", Buffer.from("GGUF\x03\0\0\0")), "model");
    assert.equal(classifyFile("a", hex("ffd8ffe000104a464946")), "image");
    assert.equal(classifyFile("a", hex("89504e470d0a1a0a")), "image");
    assert.equal(classifyFile("a", Buffer.from("RIFF\0\0\0\0WEBPVP8 ")), "image");
    assert.equal(classifyFile("x.npy", Buffer.from("\x93NUMPY\x01\x00", "latin1")), "tensor");
  });

  it("never flags an age file, whatever its name, nor ordinary text", () => {
    assert.equal(classifyFile("model.onnx", Buffer.from("age-encryption.org/v1\n-> X25519 abc\n")), undefined);
    assert.equal(classifyFile("notes.txt", Buffer.from("hello")), undefined);
    assert.equal(classifyFile("empty", Buffer.alloc(0)), undefined);
    assert.equal(classifyFile("cert.pem", Buffer.from("-----BEGIN CERTIFICATE-----\n")), undefined);
  });
});
