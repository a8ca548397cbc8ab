import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { redactSecrets } from "../src/errors/redact.ts";

// redactSecrets: what every error line and log line passes through before it is printed.
describe("redactSecrets", () => {
  const cases: [string, string][] = [
    ["postgres://bob:hunter2@db:5432/log", "postgres://bob:***@db:5432/log"],
    ["postgresql://db/log?password=s3cret&sslmode=require", "postgresql://db/log?password=***&sslmode=require"],
    ["postgres://db/log?sslmode=disable&sslpassword=k3y", "postgres://db/log?sslmode=disable&sslpassword=***"],
    ["failed: https://u:p%40ss@host/x?token=abc#frag", "failed: https://u:***@host/x?token=***#frag"],
    ["postgres://bob@db/log (user without password kept)", "postgres://bob@db/log (user without password kept)"],
    ["no URL here: password is fine as a word", "no URL here: password is fine as a word"],
  ];
  for (const [input, expected] of cases)
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => assert.equal(redactSecrets(input), expected));
});
