/**
 * What a file on the device is, from its first bytes and its name: the scans of promise 1 (no key or model in the
 * clear) and promise 5 (no raw input persisted) look for these. An age file (c2sp.org/age: it begins with
 * "age-encryption.org/v1") is encrypted and never flagged, whatever its name.
 */

/** A finding kind. */
export type FileKind = "age-identity" | "private-key" | "model" | "image" | "tensor";

const AGE_HEADER = Buffer.from("age-encryption.org/v1");
const MODEL_EXTENSIONS = /\.(onnx|pt|pth|tflite|safetensors|gguf|pb|h5|keras|ort|engine|plan)$/i;

/** How many leading bytes {@link classifyFile} needs. */
export const CLASSIFY_BYTES = 4096;

/** The kind of a file with `name` whose first bytes are `head`, or undefined for anything else. */
export function classifyFile(name: string, head: Buffer): FileKind | undefined {
  if (head.subarray(0, AGE_HEADER.length).equals(AGE_HEADER)) return undefined;
  const text = head.toString("latin1");
  // age identities (AGE-SECRET-KEY-1…, and the post-quantum AGE-SECRET-KEY-PQ-1…) and PEM private keys.
  if (/AGE-SECRET-KEY-/.test(text)) return "age-identity";
  if (/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(text)) return "private-key";
  if (MODEL_EXTENSIONS.test(name) || head.subarray(0, 4).toString("latin1") === "GGUF") return "model";
  if (isImage(head)) return "image";
  // NumPy .npy (the format `edgeward run --input` reads): magic \x93NUMPY.
  if (head[0] === 0x93 && head.subarray(1, 6).toString("latin1") === "NUMPY") return "tensor";
  return undefined;
}

// JPEG (FF D8 FF), PNG (89 'PNG'), GIF ('GIF8'), BMP ('BM' + size), WebP ('RIFF' … 'WEBP'), TIFF (II*\0 / MM\0*).
function isImage(h: Buffer): boolean {
  const s = h.subarray(0, 12).toString("latin1");
  return (
    (h[0] === 0xff && h[1] === 0xd8 && h[2] === 0xff) ||
    s.startsWith("\x89PNG") ||
    s.startsWith("GIF8") ||
    (s.startsWith("RIFF") && s.slice(8, 12) === "WEBP") ||
    s.startsWith("II*\0") ||
    s.startsWith("MM\0*") ||
    (s.startsWith("BM") && h.length >= 14 && h.readUInt32LE(2) >= 14)
  );
}
