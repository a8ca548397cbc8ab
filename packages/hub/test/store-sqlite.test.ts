import { join } from "node:path";
import { after, describe } from "node:test";
import { tempDir } from "@edgeward/testkit";
import { hubStoreSuite } from "./store-suite.ts";

describe("hub store on SQLite (node:sqlite)", () => {
  const dir = tempDir("edgeward-hub-store-");
  after(() => dir[Symbol.dispose]());
  let n = 0;
  hubStoreSuite({ fresh: () => Promise.resolve({ sqlite: join(dir.path, `hub-${n++}.db`) }) });
});
