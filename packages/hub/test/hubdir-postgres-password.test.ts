// The PostgreSQL password stays out of hub.json (docs/hub.md, "Database and replicas"): init keeps it in
// HUB/secrets/postgres-password (0600), and a real `hub serve` still connects to a PostgreSQL that requires it.
import assert from "node:assert/strict";
import { chmod, readFile, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { printedCode, runCli, startPostgres, startServe, tempDir, throwsWithCode } from "@edgeward/testkit";
import { hubPaths } from "../src/hubdir/layout.ts";
import { splitPostgresPassword, withPostgresPassword } from "../src/hubdir/postgres-secret.ts";
import { initHub } from "../src/hubdir/init.ts";
import { httpsJson } from "./helpers/https.ts";

// Characters a URL must percent-encode in userinfo (RFC 3986 §3.2.1), so the round trip is tested, not assumed.
const PASSWORD = "s3cr:t@/%x+y #z";

describe("the PostgreSQL password and hub.json", () => {
  it("splits a password out of userinfo or the query and puts it back, encoded", () => {
    const split = splitPostgresPassword(`postgres://hub:${encodeURIComponent(PASSWORD)}@db:5432/hub?sslmode=require`);
    assert.deepEqual(split, { url: "postgres://hub@db:5432/hub?sslmode=require", password: PASSWORD });
    assert.equal(
      withPostgresPassword(split.url, PASSWORD),
      `postgres://hub:${encodeURIComponent(PASSWORD)}@db:5432/hub?sslmode=require`,
    );
    assert.deepEqual(splitPostgresPassword("postgres://hub@db/hub?password=pw&application_name=a"), {
      url: "postgres://hub@db/hub?application_name=a",
      password: "pw",
    });
    assert.deepEqual(splitPostgresPassword("postgres://hub:pw@/hub?host=/run/postgresql"), {
      url: "postgres://hub@/hub?host=/run/postgresql",
      password: "pw",
    });
    assert.deepEqual(splitPostgresPassword("postgres://hub@db/hub"), { url: "postgres://hub@db/hub" });
    throwsWithCode(() => splitPostgresPassword("not a url: pw"), "EW_ERR_USAGE");
  });

  it("init writes the password only to secrets/postgres-password; serve connects with it, or with PGPASSWORD", async () => {
    await using pg = await startPostgres({}, { password: PASSWORD });
    using dir = tempDir("edgeward-pg-password-");
    const hubDir = join(dir.path, "hub");
    const paths = hubPaths(hubDir);
    const withoutPassword = splitPostgresPassword(pg.url).url;
    // The server really checks the password. (A wrong one, not a missing one: node-postgres without any password
    // fails before answering the server's SCRAM challenge and leaves the socket open until the server's
    // authentication_timeout, 60 s, which would only slow this test down.)
    const wrong = withPostgresPassword(withoutPassword, "wrong");
    const refused = await runCli(["hub", "init", "--dir", join(dir.path, "nopw"), "--postgres", wrong]);
    assert.equal(printedCode(refused), "EW_ERR_HUB_STORAGE");

    const init = await initHub({ dir: hubDir, postgres: pg.url, now: new Date() });
    const config = await readFile(paths.config, "utf8");
    for (const form of [PASSWORD, encodeURIComponent(PASSWORD), "s3cr"]) assert.ok(!config.includes(form), form);
    assert.equal((JSON.parse(config) as { database: { url: string } }).database.url, withoutPassword);
    assert.equal(await readFile(paths.postgresPassword, "utf8"), PASSWORD);
    assert.equal((await stat(paths.postgresPassword)).mode & 0o777, 0o600);

    const serve = await startServe(["--dir", hubDir, "--listen", "127.0.0.1:0"]);
    try {
      const ca = await readFile(init.caCertificate, "utf8");
      const headers = { authorization: `Bearer ${init.adminToken}` };
      assert.equal((await httpsJson(`${serve.url}/readyz`, { ca })).status, 200);
      const made = await httpsJson(`${serve.url}/v1/enrol-tokens`, { ca, method: "POST", headers, body: {} });
      assert.equal(made.status, 201, made.body);
    } finally {
      assert.equal(await serve.stop(), 0);
    }

    // A password file others may read is refused. Without the file, the password comes from PGPASSWORD (a wrong
    // one is refused, so it was the file that served before) or from a full --postgres URL given again.
    await chmod(paths.postgresPassword, 0o644);
    const status = ["hub", "tuf", "status", "--dir", hubDir, "--json"];
    assert.equal(printedCode(await runCli(status)), "EW_ERR_HUB_DIR_INVALID");
    await rename(paths.postgresPassword, join(dir.path, "moved-away"));
    const wrongEnv = { ...process.env, PGPASSWORD: "wrong" };
    assert.equal(printedCode(await runCli(status, { env: wrongEnv })), "EW_ERR_HUB_STORAGE");
    const viaEnv = await runCli(status, { env: { ...process.env, PGPASSWORD: PASSWORD } });
    assert.equal(viaEnv.status, 0, viaEnv.stderr);
    const viaFlag = await runCli([...status, "--postgres", pg.url], { env: wrongEnv });
    assert.equal(viaFlag.status, 0, viaFlag.stderr);
    // The offline-key commands work on PostgreSQL as on SQLite: a root rotation through the same resolution.
    const rotate = ["hub", "tuf", "rotate-root", "--dir", hubDir, "--offline", paths.offline, "--json"];
    const rotated = await runCli(rotate, { env: { ...process.env, PGPASSWORD: PASSWORD } });
    assert.equal(rotated.status, 0, rotated.stderr);
    assert.equal((JSON.parse(rotated.stdout.toString("utf8")) as { version: number }).version, 2);
  });
});
