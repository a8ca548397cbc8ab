/**
 * Identity files: the format age-keygen writes (`# created: …`, `# public key: age1…`,
 * `AGE-SECRET-KEY-1…`; also `AGE-SECRET-KEY-PQ-1…` from `age-keygen -pq`), several keys per file, plus
 * Edgeward's software P-256 key as a PKCS#8 PEM block (see p256-software.ts).
 */
import { EdgewardError } from "../errors/index.ts";
import { bech32Decode, bech32Encode } from "./bech32.ts";
import { generateHybridSeed, hybridIdentity } from "./hybrid.ts";
import { createdStamp, generateP256IdentityText, parseP256IdentityPem } from "./p256-software.ts";
import { generateX25519Secret, x25519Identity, type SoftwareAgeIdentity } from "./x25519.ts";

/** The identity types {@link generateIdentity} makes. */
export type IdentityType = "x25519" | "pq" | "p256";

const PEM_BEGIN = "-----BEGIN PRIVATE KEY-----";
const PEM_END = "-----END PRIVATE KEY-----";

/**
 * Parses an identity file. Comments (`#`) and blank lines are skipped; every other line must be an
 * identity. Throws EW_ERR_AGE_IDENTITY naming the line (never its content, which may be a secret), or when
 * the file holds no identity at all.
 */
export function parseIdentities(text: string): SoftwareAgeIdentity[] {
  const identities: SoftwareAgeIdentity[] = [];
  const lines = text.split("\n").map((l) => l.replace(/\r$/, "").trim());
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line === "" || line.startsWith("#")) continue;
    if (line === PEM_BEGIN) {
      const end = lines.indexOf(PEM_END, i + 1);
      if (end < 0) throw bad(i, "the PEM block has no END line");
      identities.push(parseP256IdentityPem(lines.slice(i, end + 1).join("\n") + "\n"));
      i = end;
      continue;
    }
    identities.push(parseSecretKeyLine(line, i));
  }
  if (identities.length === 0) throw new EdgewardError("EW_ERR_AGE_IDENTITY", { detail: "the file holds no identity" });
  return identities;
}

/** Parses one `AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…` line. */
function parseSecretKeyLine(line: string, index: number): SoftwareAgeIdentity {
  if (line.startsWith("AGE-PLUGIN-")) throw bad(index, "plugin identities are not supported");
  if (!line.startsWith("AGE-SECRET-KEY-")) throw bad(index, "not an age identity");
  const decoded = bech32Decode(line);
  // age writes identities in upper case; the HRP is compared case-insensitively after Bech32 decoding.
  if (decoded === null || line !== line.toUpperCase()) throw bad(index, "invalid Bech32 identity");
  try {
    if (decoded.bytes.length !== 32) throw bad(index, "an identity must hold 32 bytes");
    if (decoded.hrp === "age-secret-key-") return x25519Identity(decoded.bytes);
    if (decoded.hrp === "age-secret-key-pq-") return hybridIdentity(decoded.bytes);
    throw bad(index, "unknown identity type");
  } finally {
    decoded.bytes.fill(0);
  }
}

/**
 * Generates an identity file of the given type and returns its text and recipient. X25519 and hybrid files
 * are exactly what `age-keygen` (and `age-keygen -pq`) write; `p256` is Edgeward's software P-256 format.
 */
export function generateIdentity(type: IdentityType): { identityText: string; recipient: string } {
  if (type !== "x25519" && type !== "pq" && type !== "p256") {
    throw new EdgewardError("EW_ERR_USAGE", { detail: `unknown identity type ${String(type)}` });
  }
  if (type === "p256") return generateP256IdentityText();
  const secret = type === "pq" ? generateHybridSeed() : generateX25519Secret();
  try {
    const identity = type === "pq" ? hybridIdentity(secret) : x25519Identity(secret);
    const encoded = bech32Encode(type === "pq" ? "AGE-SECRET-KEY-PQ-" : "AGE-SECRET-KEY-", secret).toUpperCase();
    const identityText = `# created: ${createdStamp()}\n# public key: ${identity.recipient}\n${encoded}\n`;
    return { identityText, recipient: identity.recipient };
  } finally {
    secret.fill(0);
  }
}

function bad(index: number, why: string): EdgewardError {
  return new EdgewardError("EW_ERR_AGE_IDENTITY", { detail: `line ${index + 1}: ${why}` });
}
