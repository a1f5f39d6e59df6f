import os from "node:os";

/**
 * `--workers auto`: one browser per core, bounded by free memory (a 1080p Chromium with its
 * renderer takes ~300 MB plus a few frame buffers) and by the work (at least ~24 frames each,
 * since a browser costs ~1 s to start).
 */
export function autoWorkers(totalFrames: number, width: number, height: number): number {
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  const perBrowser = 300 * 1024 * 1024 + width * height * 4 * 16;
  const byMemory = Math.max(1, Math.floor((os.freemem() * 0.6) / perBrowser));
  const byWork = Math.max(1, Math.floor(totalFrames / 24));
  return Math.max(1, Math.min(cores, byMemory, byWork, 8));
}
