/** Process-leak checks: every render of a test runs with TMPDIR (and its output) under one sandbox dir, so
 * any Chromium (--user-data-dir=<tmp>/frameloom-render-…) or ffmpeg (writing <out>/.x.partial.mp4) it leaves
 * behind has the sandbox path on its command line. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Proc {
  pid: number;
  cmd: string;
}

/** Processes whose command line contains `pattern` (a regex for pgrep -f); never this process or pgrep. */
export async function pgrep(pattern: string): Promise<Proc[]> {
  try {
    const { stdout } = await run("pgrep", ["-af", pattern]);
    return stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const i = line.indexOf(" ");
        return { pid: Number(line.slice(0, i)), cmd: line.slice(i + 1) };
      })
      .filter((p) => p.pid !== process.pid);
  } catch (error) {
    if ((error as { code?: number }).code === 1) return [];
    throw error;
  }
}

/** Waits (up to `timeoutMs`) until no process mentions `needle`; returns what is left. */
export async function leftovers(needle: string, timeoutMs = 3000): Promise<Proc[]> {
  const pattern = needle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const procs = await pgrep(pattern);
    if (procs.length === 0 || Date.now() > deadline) return procs;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Chromium main (browser) processes of the renders under `needle` (not zygotes/renderers/GPU). */
export async function chromiumMains(needle: string, profileMarker = "chromium-w"): Promise<Proc[]> {
  const procs = await pgrep(needle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return procs.filter((p) => p.cmd.includes(profileMarker) && !p.cmd.includes("--type=") && /chrom/i.test(p.cmd.split(" ")[0]!));
}

export function kill(pid: number, signal: NodeJS.Signals = "SIGKILL"): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Process-group ids still alive among `pgids` (Chromium runs in its own group: pgid = main pid). */
export async function liveGroups(pgids: Iterable<number>): Promise<Proc[]> {
  const wanted = new Set(pgids);
  if (wanted.size === 0) return [];
  const { stdout } = await run("ps", ["-eo", "pid=,pgid=,stat=,args="]);
  return stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 4 && wanted.has(Number(f[1])) && !f[2]!.startsWith("Z"))
    .map((f) => ({ pid: Number(f[0]), cmd: f.slice(3).join(" ") }));
}

/**
 * Polls every `everyMs` for Chromium main processes under `needle`, recording their pids; with `killEach`
 * SIGKILLs every one as soon as it is seen. `stop()` ends polling and returns every main pid seen.
 */
export function watchChromium(needle: string, opts: { everyMs?: number; killEach?: boolean } = {}) {
  const seen = new Set<number>();
  const killed = new Set<number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const p of await chromiumMains(needle).catch(() => [])) {
        seen.add(p.pid);
        if (opts.killEach && !killed.has(p.pid) && kill(p.pid)) killed.add(p.pid);
      }
      await new Promise((r) => setTimeout(r, opts.everyMs ?? 100));
    }
  })();
  return {
    seen,
    killed,
    async stop() {
      stopped = true;
      await loop;
      return [...seen];
    },
  };
}
