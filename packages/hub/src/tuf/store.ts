/**
 * Where the TUF repository keeps its metadata files. The repository code is pure over this interface; the hub's
 * database store implements it (SQLite or PostgreSQL), and {@link MemoryTufStore} serves the unit tests.
 *
 * Names are the file names a TUF client asks for under consistent snapshots (TUF 1.0 §5.3–5.6, §7):
 * "1.root.json", "7.snapshot.json", "3.targets.json", "12.releases-0a.json", and "timestamp.json" (the one file
 * without a version prefix). The repository also keeps the newest copy of each role under its bare name
 * ("root.json", "snapshot.json", "targets.json", "releases-0a.json") to find it without a directory listing.
 */
export interface TufMetadataStore {
  /** The bytes stored under `name`, or undefined when there are none. */
  get(name: string): Promise<Uint8Array | undefined>;
  /**
   * Writes every file of one repository version at once: all of them or none (one transaction). A name that
   * exists is overwritten (only the bare-name copies and "timestamp.json" are ever rewritten by the repository;
   * a versioned name is rewritten only after a crash left it unreferenced).
   */
  putAll(files: readonly TufFile[]): Promise<void>;
  /**
   * Runs `fn` holding the repository's one writer lock, so that reading the newest versions and writing the
   * next ones is atomic. Several hub processes on one database must exclude each other here (PostgreSQL: an
   * advisory lock); readers (`get`) never take it.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}

/** One metadata file: its name (see {@link TufMetadataStore}) and its bytes (UTF-8 JSON). */
export interface TufFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** An in-memory {@link TufMetadataStore} for tests and for a hub run without a database. */
export class MemoryTufStore implements TufMetadataStore {
  readonly #files = new Map<string, Uint8Array>();
  #tail: Promise<unknown> = Promise.resolve();

  get(name: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.#files.get(name));
  }

  putAll(files: readonly TufFile[]): Promise<void> {
    for (const file of files) this.#files.set(file.name, Uint8Array.from(file.bytes));
    return Promise.resolve();
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Every stored name (tests use it to count what a repository version wrote). */
  names(): string[] {
    return [...this.#files.keys()];
  }
}
