import pg from "pg";

/** Creates a fresh schema on `url` and returns a URL whose connections use it (search_path), one per test. */
export async function freshSchema(url: string, name: string): Promise<string> {
  const admin = new pg.Client(url);
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name}`);
  await admin.end();
  return `${url}?options=${encodeURIComponent(`-c search_path=${name}`)}`;
}
