// Every operator and public route fed hostile input: wrong types, deep nesting, long strings, odd parameters.
// The hub must answer each with a typed {code, message} and never a 500 (ARCHITECTURE.md: parsers fail closed).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "@edgeward/testkit";
import { startTestHub } from "./helpers/hub.ts";

const SEED = 0x5eed_0007;

function randomValue(rnd: () => number, depth = 0): unknown {
  const pick = Math.floor(rnd() * (depth > 3 ? 6 : 9));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rnd() < 0.5;
    case 2:
      return Math.floor((rnd() - 0.5) * 2 ** 40);
    case 3:
      return rnd() * 1e308;
    case 4:
      return "x".repeat(Math.floor(rnd() * 3000));
    case 5:
      return ["viewer", "admin", "default", "sha256:7", "tok_0123456789abcdef", "\u0000", "../.."][
        Math.floor(rnd() * 7)
      ];
    case 6:
      return Array.from({ length: Math.floor(rnd() * 5) }, () => randomValue(rnd, depth + 1));
    default: {
      const keys = [
        "role",
        "label",
        "name",
        "policy",
        "version",
        "reason",
        "group",
        "ttlSeconds",
        "__proto__",
        "constructor",
      ];
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rnd() * 5); i > 0; i--)
        o[keys[Math.floor(rnd() * keys.length)]!] = randomValue(rnd, depth + 1);
      return o;
    }
  }
}

const PARAMS = ["default", "x", "%00", "..%2F..", "a".repeat(300), "tok_0123456789abcdef", "%F0%9F%92%A5"];

describe("hostile input on every route", () => {
  it(`no route answers 500 or an uncoded error (seed ${SEED})`, async () => {
    const hub = await startTestHub();
    const rnd = seededRandom(SEED);
    for (const route of hub.app.hubRoutes) {
      if (route.url === "/metrics" || route.url === "/openapi.json") continue;
      for (let i = 0; i < 25; i++) {
        const url = route.url.replace(/:(\w+)|\*/g, () => PARAMS[Math.floor(rnd() * PARAMS.length)]!);
        const query =
          rnd() < 0.5
            ? ""
            : `?limit=${encodeURIComponent(JSON.stringify(randomValue(rnd)).slice(0, 40))}&index=-1&state=x`;
        const payload = route.method === "GET" ? undefined : JSON.stringify(randomValue(rnd));
        const res = await hub.app.inject({
          method: route.method as "POST",
          url: url + query,
          headers: { ...hub.auth("admin"), ...(payload === undefined ? {} : { "content-type": "application/json" }) },
          ...(payload === undefined ? {} : { payload }),
        });
        const where = `${route.method} ${url}${query} ${payload?.slice(0, 120) ?? ""}`;
        assert.ok(res.statusCode < 500 || res.statusCode === 503, `${where} answered ${res.statusCode}: ${res.body}`);
        if (res.statusCode >= 400) assert.match(res.json<{ code: string }>().code, /^EW_ERR_/, where);
      }
    }
    await hub.close();
  });
});
