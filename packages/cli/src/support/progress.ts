/**
 * A progress bar on stderr for long work, shown only when stderr is a terminal and the work is large
 * (scripts and CI see nothing). Returns a callback for `onProgress(done, total)`, and `end()`.
 */
export function progressBar(label: string, total: number): { update(done: number): void; end(): void } {
  const tty = process.stderr.isTTY && total >= 64 * 1024 * 1024;
  let last = -1;
  const started = performance.now();
  return {
    update(done) {
      if (!tty) return;
      const pct = Math.floor((done / total) * 100);
      if (pct === last) return;
      last = pct;
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      const secs = (performance.now() - started) / 1000;
      const rate = secs > 0 ? done / secs / 1e6 : 0;
      process.stderr.write(
        `\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${String(pct).padStart(3)}% ${rate.toFixed(0)} MB/s`,
      );
    },
    end() {
      if (tty && last >= 0) process.stderr.write("\n");
    },
  };
}
