// Known-answer tests for the primitives under the age recipient types, from their specifications:
// BIP-173 (Bech32 test vectors), RFC 4648 §3.5 (canonical base64), RFC 9180 Appendix A.5
// (DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305, base mode), and the key pairs printed in
// c2sp.org/age (X25519 and MLKEM768-X25519 identities and their recipients).
import assert from "node:assert/strict";
import { createPrivateKey, decapsulate, encapsulate, generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { decodeBase64NoPad, encodeBase64NoPad } from "../../src/age/base64.ts";
import { bech32Decode, bech32DecodeWords, bech32Encode } from "../../src/age/bech32.ts";
import { dhkemP256Decapsulate, dhkemP256Encapsulate } from "../../src/age/dhkem-p256.ts";
import { KEM_ID, hpkeKeySchedule } from "../../src/age/hpke.ts";
import { parseIdentities } from "../../src/age/identities.ts";
import { createSoftwareP256KeyAgreement } from "../../src/age/p256-software.ts";

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("Bech32 (BIP-173 test vectors)", () => {
  it("accepts every valid BIP-173 checksum vector", () => {
    for (const s of [
      "A12UEL5L",
      "a12uel5l",
      "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
      "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
      `11${"q".repeat(82)}c8247j`,
      "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
      "?1ezyfcl",
    ]) {
      assert.notEqual(bech32DecodeWords(s), null, s);
    }
  });

  it("rejects every invalid BIP-173 vector that does not depend on the 90-character limit age lifts", () => {
    for (const s of [
      "\x201nwldj5",
      "\x7f1axkwrx",
      "\x801eym55h",
      "pzry9x0s0muk",
      "1pzry9x0s0muk",
      "x1b4n0q5v",
      "li1dgmt3",
      "de1lg7wt\xff",
      "A1G7SGD8",
      "10a06t8",
      "1qzzfhee",
    ]) {
      assert.equal(bech32DecodeWords(s), null, JSON.stringify(s));
    }
  });

  it("round-trips bytes of any length, beyond BIP-173's 90 characters, and rejects mixed case", () => {
    for (const n of [0, 1, 20, 32, 33, 1216]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);
      const text = bech32Encode("age1pq", bytes);
      assert.deepEqual(bech32Decode(text)?.bytes, bytes);
      assert.deepEqual(bech32Decode(text.toUpperCase())?.bytes, bytes);
      if (n > 0) assert.equal(bech32Decode(text.slice(0, 3).toUpperCase() + text.slice(3)), null);
    }
  });
});

describe("unpadded canonical base64 (RFC 4648 §3.5, as c2sp.org/age requires)", () => {
  it("decodes canonical text and rejects padding, non-canonical trailing bits and foreign characters", () => {
    assert.deepEqual(decodeBase64NoPad("AQID"), Uint8Array.of(1, 2, 3));
    assert.deepEqual(decodeBase64NoPad("AQ"), Uint8Array.of(1));
    assert.deepEqual(decodeBase64NoPad(""), new Uint8Array(0));
    assert.equal(encodeBase64NoPad(Uint8Array.of(1)), "AQ");
    for (const bad of ["AQ==", "AR", "AQI=", "A", "AQ-_", "AQ\n", " AQ"])
      assert.equal(decodeBase64NoPad(bad), null, bad);
  });
});

describe("HPKE DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305 (RFC 9180 Appendix A.5)", () => {
  const skRm = hex("a4d1c55836aa30f9b3fbb6ac98d338c877c2867dd3a77396d13f68d3ab150d3b");
  const enc = hex(`04c07836a0206e04e31d8ae99bfd549380b072a1b1b82e563c935c095827824
    fc1559eac6fb9e3c70cd3193968994e7fe9781aa103f5b50e934b5b2f387e381291`);
  const sharedSecret = "806520f82ef0b03c823b7fc524b6b55a088f566b9751b89551c170f4113bd850";

  it("Decap through the P256KeyAgreement interface gives the vector's shared secret", async () => {
    const key = createPrivateKey({
      key: Buffer.from(skRm),
      format: "raw-private",
      asymmetricKeyType: "ec",
      namedCurve: "P-256",
    });
    const agreement = createSoftwareP256KeyAgreement(key);
    assert.equal(
      toHex(agreement.publicKey),
      "04a697bffde9405c992883c5c439d6cc358170b51af72812333b015621dc0f40bad9bb726f68a5c013806a790ec716ab8669f84f6b694596c2987cf35baba2a006",
    );
    assert.equal(toHex(await dhkemP256Decapsulate(enc, agreement)), sharedSecret);
  });

  it("the base-mode key schedule gives the vector's key and base nonce", () => {
    const info = hex("4f6465206f6e2061204772656369616e2055726e");
    const { key, nonce } = hpkeKeySchedule(KEM_ID.dhkemP256, hex(sharedSecret), info);
    assert.equal(toHex(key), "a8f45490a92a3b04d1dbf6cf2c3939ad8bfc9bfcb97c04bffe116730c9dfe3fc");
    assert.equal(toHex(nonce), "726b4390ed2209809f58c693");
  });

  it("Encap agrees with node:crypto's own DHKEM(P-256) decapsulation, and Decap with its encapsulation", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pkR = new Uint8Array(publicKey.export({ format: "raw-public" }));
    const ours = dhkemP256Encapsulate(pkR);
    assert.equal(toHex(decapsulate(privateKey, ours.enc)), toHex(ours.sharedSecret));
    const theirs = encapsulate(publicKey);
    const agreement = createSoftwareP256KeyAgreement(privateKey);
    assert.equal(toHex(await dhkemP256Decapsulate(theirs.ciphertext, agreement)), toHex(theirs.sharedKey));
  });
});

// The age1pq1 recipient printed in c2sp.org/age §The MLKEM768-X25519 (i.e. X-Wing) hybrid post-quantum recipient type.
const PQ_RECIPIENT =
  "age1pq1x34nzsvr0rxjsgdn8zgyhfe8j7ceq5r9rdelkjuh3y235jzxshfg87pzf5zrqtzdxz95paef6caq5aapdmwjjqpjfdyxnzr2zampc3uxy0dg4z2n2gm9su72p0pc3u0jvev55l694v78snxg3yzvcl7yda0eyytqj6a0ec477lnhcy5hzpz4zq3pxanve4cn62gqj3pjy5lqj9c6kyj4v2z8alktn8zh99970x79gjkv7522hv9kfz35zsnxhsx8wwtmu9cy3ftzjgwcp4sshn3llnylnpdsyz5jm72vefv4x5vfwytrefxg4wq3mv42wcrvkj742479zrxzpvp2p3e9fed9f0739vcu80r7ma28qfhnvlv4gfzel9q654dj3zmuvvz893azhxdvs9fxd0r7jzchzcfcs5mkyyjxhw0n2z6dvp9yn9qfdp29h0azxqyjw6v7fhyuzj7zel0uq6j9rd7wgrpz7mf5dnj43jwsgvrc8qcnhy7tu6dkdujuxzkp9xj43xe8h92ktre2a3u3s8mm5mrp9nr9pwkgtz4mdlq9hgn4fps4k57ff6wddn2fy23t47sm20r8km8sd2pcyyafnet8f0dajsrlyjeah4n3mssr6aseevuuskdvq5lzguyvpgwpta742c6698vgutzqgny8usfg0w2he7kq5vyxjd0f9hqg8xk26y9e4th0gezq92q4cpp5p2y9hf5f2cje5l0c3sa3a2qxmm38pxxvhxh99yzmfz0zk7r2s64nnwjhkfgfr3gf8xnmppcgmaykvh5sh6g7vk9790rf8ws0axmr2t7z8aae5fq2029uvcn2ghgt4fu4wgwdc0k0cz52qkvwmuzj8p8k5jgf3xzk5zmrkavjekjrpeq408xz3zxazwkc6tyfmhayrkfpjhwtz5mp8j8guqe43k2q6m2kte03vrw27y3wmqyu5etmt9dnkwcnnpmu9gz9dekfhdevf42ucshphnrk38ra6hx8w5f8q5ru0xdhrjxmwqf6cused7zc5xvq43r0zscjglpwlptpwydhqw64xz7ptjdyeyzpq2zkxtmzg29gzjpvzva4d3l0cenn9xs297wf4y4ukwrunf57xj6pm7nvrkwvtrt8hwcmgv8x7ajw7258ugf9wvkmk4052ekg87tw5vnx8nq2swyzv77v8yqlwsenvamr0zssknwts8rrhfuwj7ykysnq9jxy0uv3kuyt22djszjdtvpz6d0s0kwh8ryynddzud92emeyvvyqktd0jtj7rvvg5gch25v8smlvny3kvn5gagyz475ze2y6q466xqmz2n3hs77lddeqyta2nch5k2u5yacuk9ywnwfdzvyejnucz724hj77hrrmakm7pr3kxsrxq22ejexlud9fy2kdqmkg5yncz7jm5wv2qjk5w5kvcpqsry2yqffh2la52dxfjkjq5rzhjzeyn6dupn0qwtyv7s4lwg3xdarsdlwe2y3tujy480y7z39q259fzx6jhd2j0f5hagqpcpees7hzc2yrk5cy788uk3s7qvp5cpepx24gvws3m2g433exgwppnkjscec8qu4y9z9r7vccexjcjaen42245lmgmxmuavg9alej92322gvvyy2t6267v09ch64y0m53jff0vjj96s0ypk60hr3jw4myd6m5hpn3xjstx7tl2szhpr5qe8jj08ydjc4wy2rch2fhuy3pdfjax5awe9j99ly5hkntzz9fe5zatgjvzdd0kgtxs25njnajyf6ssekp7gelxquusn4pt25czh3scj68kq79wdn5tgm6yvm9nzavrg043x3msnygf8dweknw5jmqd0uvny6ttsn09508k0c55zfnegrm9efhxpfqdkmhh6gjtqmwze9pyyzk3tlhl53k2ykx3qheyty7saeq0d3fzv49zc0k";

describe("the key pairs printed in c2sp.org/age", () => {
  it("the X25519 example identity has the example recipient", () => {
    const [id] = parseIdentities("AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX\n");
    assert.equal(id?.recipient, "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
  });

  it("the MLKEM768-X25519 example identity expands (SHAKE256 seed, ML-KEM-768 from d ‖ z) to the example recipient", () => {
    const [id] = parseIdentities("AGE-SECRET-KEY-PQ-1XX76JRALNLXDMEW0CRK45QMCCH4X06SE84UN3VPM33W6HWDX0H3SK3ZQFR\n");
    assert.equal(id?.recipient, PQ_RECIPIENT);
  });
});
