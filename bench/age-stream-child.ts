// Our side of bench/age-stream.ts, run as its own process so its wall time and peak RSS can be measured the way
// the age CLI's are. Usage:
//   node bench/age-stream-child.ts seal INPUT OUTPUT   writes a one-line stand-in header, then the payload
//                                                     (encryptFileToFile), and OUTPUT.key (the file key, hex)
//   node bench/age-stream-child.ts open SEALED          opens SEALED into memory (decryptFileToMemory)
// Prints one JSON line: {"op", "bytes", "seconds"} where seconds is the library call alone.
//
// Node's compile cache is on (as a CLI built on the engine would turn it on): after the first run the sources
// load already compiled, without starting Node's TypeScript stripper. age-stream.ts also sets NODE_COMPILE_CACHE
// so that this entry file itself loads compiled; run by hand, only the engine's modules do.
import { randomBytes } from "node:crypto";
import { open, readFile, writeFile } from "node:fs/promises";
import { enableCompileCache } from "node:module";

enableCompileCache();
const { decryptFileToMemory, encryptFileToFile } = await import("../packages/core/src/age/stream/index.ts");

/**
 * Stands in for an age header: the payload engine does not read it, and a real X25519 header costs
 * microseconds. The open side finds the payload after its last line, as a header parser would.
 */
const HEADER = "age-encryption.org/v1\n-> X25519 bench\nstand-in header\n--- bench\n";

const [op, first, second] = process.argv.slice(2);
if (op === "seal" && first !== undefined && second !== undefined) {
  const fileKey = randomBytes(16);
  const input = await open(first, "r");
  const output = await open(second, "w");
  const started = performance.now();
  await output.write(HEADER, 0);
  const { plaintextSize } = await encryptFileToFile(fileKey, input, output);
  const seconds = (performance.now() - started) / 1000;
  await Promise.all([input.close(), output.close()]);
  await writeFile(`${second}.key`, fileKey.toString("hex"));
  console.log(JSON.stringify({ op, bytes: plaintextSize, seconds }));
} else if (op === "open" && first !== undefined) {
  const fileKey = Buffer.from((await readFile(`${first}.key`, "utf8")).trim(), "hex");
  const input = await open(first, "r");
  const started = performance.now();
  const { plaintext } = await decryptFileToMemory(fileKey, input, Buffer.byteLength(HEADER));
  const seconds = (performance.now() - started) / 1000;
  await input.close();
  console.log(JSON.stringify({ op, bytes: plaintext.length, seconds }));
} else {
  console.error("usage: age-stream-child.ts seal INPUT OUTPUT | open SEALED");
  process.exitCode = 2;
}
