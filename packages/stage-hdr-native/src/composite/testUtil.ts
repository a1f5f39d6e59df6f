/** Test helpers (not exported from the package): run ffmpeg, list our ffmpeg children. */
import { execFileSync } from "node:child_process";

export function ffmpeg(args: string[]): Buffer {
  return execFileSync("ffmpeg", ["-v", "error", "-nostdin", "-y", ...args], { maxBuffer: 1 << 30 });
}

/** Pids of ffmpeg processes whose parent (or process-group leader) is this process. */
export function ffmpegChildren(): number[] {
  const out = execFileSync("ps", ["-eo", "pid=,ppid=,comm="]).toString();
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 3 && f[2] === "ffmpeg" && Number(f[1]) === process.pid)
    .map((f) => Number(f[0]));
}

export async function waitFor(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond();
}
