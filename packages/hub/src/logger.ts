import { pino, type DestinationStream, type Logger } from "pino";

/**
 * Fields never written to the hub's logs (ARCHITECTURE.md, hub: structured logs that never contain a token, key or
 * nonce). Pino's redaction replaces them wherever they appear up to three levels deep, including request headers.
 */
export const REDACTED_FIELDS = [
  "authorization",
  "cookie",
  "token",
  "adminToken",
  "enrolToken",
  "secret",
  "nonce",
  "key",
  "privateKey",
  "fileKey",
  "password",
  "credential",
] as const;

const PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  ...REDACTED_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
];

/** The hub's structured logger (pino JSON lines), with secrets redacted. */
export function createHubLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const settings = { level: options.level ?? "info", redact: { paths: PATHS, censor: "[redacted]" } };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}
