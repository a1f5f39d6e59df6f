/**
 * Peak memory and CPU of a process tree (this process and every descendant: Chromium, ffmpeg, their
 * children), sampled from /proc on Linux.
 *
 * Method:
 * - Every `intervalMs` (default 100) the sampler lists /proc, finds the descendants of the root pid
 *   by following ppid links, and reads each tree member's /proc/<pid>/stat once (ppid, utime, stime,
 *   starttime, rss). Processes found not to belong to the tree are remembered while they live, so a
 *   sample reads only the tree's stat files plus those of processes new since the last sample.
 * - Memory: the sum of RSS (stat field 24 = VmRSS) over the tree; the peak is the largest sum seen.
 *   Pages shared between processes (Chromium's zygote children, shared libraries) are counted once
 *   per process, so this is an upper bound of the tree's real footprint, like `ps` summing.
 * - CPU: for each descendant the last utime + stime seen (minus what it had at `start()` for
 *   processes already alive then), summed, plus `process.cpuUsage()` delta of this process (for a
 *   root other than this process, its own stat instead). A descendant's CPU after its last sample
 *   and before it exits (at most one interval) is missed, and so are processes that live less than
 *   one interval: the figure is a slight lower bound. Children's cutime/cstime are not added: they
 *   would count a reaped grandchild twice.
 * - Once a process is in the tree it stays counted until it exits, even if re-parented (a Chromium
 *   helper whose parent died first). Pid reuse is guarded by starttime for tree members.
 * Elsewhere than Linux, `supported` is false and only this process's RSS and CPU are reported.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** Clock ticks (see `clockTicksPerSecond`). */
  utime: number;
  stime: number;
  /** Clock ticks since boot. */
  starttime: number;
  /** Pages. */
  rss: number;
}

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses. Null when malformed. */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 1).trim().split(/\s+/);
  // rest[0] is field 3 (state): field n sits at rest[n - 3].
  if (!Number.isInteger(pid) || rest.length < 22) return null;
  const field = (n: number) => Number(rest[n - 3]);
  const stat: ProcStat = {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0]!,
    ppid: field(4),
    utime: field(14),
    stime: field(15),
    starttime: field(22),
    rss: field(24),
  };
  return [stat.ppid, stat.utime, stat.stime, stat.starttime, stat.rss].every(Number.isFinite) ? stat : null;
}

let sysconf: { ticks: number; pageSize: number } | undefined;

/** CLK_TCK and the page size, from getconf (once); 100 and 4096 when getconf is missing. */
export function systemConstants(): { ticks: number; pageSize: number } {
  if (sysconf) return sysconf;
  const get = (name: string, fallback: number) => {
    try {
      const n = Number(execFileSync("getconf", [name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
      return Number.isFinite(n) && n > 0 ? n : fallback;
    } catch {
      return fallback;
    }
  };
  sysconf = { ticks: get("CLK_TCK", 100), pageSize: get("PAGESIZE", 4096) };
  return sysconf;
}

export interface TreeSample {
  /** performance.now() of the sample. */
  atMs: number;
  processes: number;
  rssBytes: number;
}

export interface TreeUsage {
  /** False where /proc is missing: then only this process is measured. */
  supported: boolean;
  samples: number;
  peakRssBytes: number;
  /** Processes in the tree at the peak. */
  peakProcesses: number;
  /** Distinct descendants seen over the whole window. */
  descendantsSeen: number;
  cpu: {
    /** The root process (this one: process.cpuUsage). */
    selfMs: number;
    /** Descendants: last utime + stime seen per pid, summed. */
    descendantsMs: number;
    totalMs: number;
  };
  wallMs: number;
}

export interface ProcessTreeSamplerOptions {
  /** Default: this process. */
  rootPid?: number;
  /** Default 100 ms. */
  intervalMs?: number;
  /** Default /proc (tests may point elsewhere). */
  procRoot?: string;
}

interface Member {
  starttime: number;
  /** CPU ticks at first sight when the process was alive at start(), else 0. */
  cpuBase: number;
  cpuLast: number;
}

export class ProcessTreeSampler {
  readonly rootPid: number;
  readonly intervalMs: number;
  readonly supported: boolean;
  private readonly procRoot: string;
  private readonly members = new Map<number, Member>();
  /** Pids seen alive that are not ours (dropped when they leave /proc). */
  private readonly strangers = new Set<number>();
  /** CPU ticks of descendants that exited (their last value seen). */
  private exitedCpu = 0;
  private descendantsSeen = 0;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private cpuStart: NodeJS.CpuUsage | undefined;
  private rootCpuStart = 0;
  private rootCpuLast = 0;
  private samples = 0;
  private peak = { rssBytes: 0, processes: 0 };
  private starting = false;

  constructor(options: ProcessTreeSamplerOptions = {}) {
    this.rootPid = options.rootPid ?? process.pid;
    this.intervalMs = options.intervalMs ?? 100;
    this.procRoot = options.procRoot ?? "/proc";
    this.supported = process.platform === "linux" && existsSync(path.join(this.procRoot, String(this.rootPid), "stat"));
  }

  /** Takes a first sample (the CPU zero point) and samples every intervalMs until stop(). */
  start(): void {
    if (this.timer) throw new Error("ProcessTreeSampler already started");
    this.startedAt = performance.now();
    this.cpuStart = this.rootPid === process.pid ? process.cpuUsage() : undefined;
    this.starting = true;
    this.sample();
    this.starting = false;
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** One sample now: updates the peak and CPU figures, and returns the tree's current size and RSS. */
  sample(): TreeSample {
    this.samples++;
    const atMs = performance.now();
    if (!this.supported) {
      const rssBytes = process.memoryUsage.rss();
      this.notePeak(rssBytes, 1);
      return { atMs, processes: 1, rssBytes };
    }
    const { pageSize } = systemConstants();
    let pids: number[];
    try {
      pids = readdirSync(this.procRoot).filter((n) => /^\d+$/.test(n)).map(Number);
    } catch {
      pids = [];
    }
    const alive = new Set(pids);
    for (const pid of this.strangers) if (!alive.has(pid)) this.strangers.delete(pid);
    for (const [pid, member] of this.members) {
      if (!alive.has(pid)) this.retire(pid, member);
    }
    // Read the root, the known tree and every process not classified yet.
    const stats = new Map<number, ProcStat>();
    for (const pid of pids) {
      if (this.strangers.has(pid)) continue;
      const stat = this.read(pid);
      if (stat) stats.set(pid, stat);
    }
    // A known member whose stat now shows another starttime is a reused pid: the old one exited.
    for (const [pid, member] of this.members) {
      const stat = stats.get(pid);
      if (!stat || stat.starttime !== member.starttime) this.retire(pid, member);
    }
    const ours = new Map<number, boolean>();
    const isOurs = (pid: number, depth = 0): boolean => {
      if (pid === this.rootPid || this.members.has(pid)) return true;
      if (pid <= 1 || depth > 64 || this.strangers.has(pid)) return false;
      const known = ours.get(pid);
      if (known !== undefined) return known;
      const stat = stats.get(pid);
      const result = stat ? isOurs(stat.ppid, depth + 1) : false;
      ours.set(pid, result);
      return result;
    };
    let rssPages = 0;
    let processes = 0;
    for (const [pid, stat] of stats) {
      if (pid === this.rootPid) {
        rssPages += stat.rss;
        processes++;
        this.rootCpuLast = stat.utime + stat.stime;
        if (this.starting) this.rootCpuStart = this.rootCpuLast;
        continue;
      }
      if (!isOurs(pid)) {
        this.strangers.add(pid);
        continue;
      }
      let member = this.members.get(pid);
      const cpu = stat.utime + stat.stime;
      if (!member) {
        member = { starttime: stat.starttime, cpuBase: this.starting ? cpu : 0, cpuLast: cpu };
        this.members.set(pid, member);
        this.descendantsSeen++;
      }
      member.cpuLast = cpu;
      if (stat.state === "Z") continue; // exited, not reaped yet: no memory, CPU kept
      rssPages += stat.rss;
      processes++;
    }
    const rssBytes = rssPages * pageSize;
    this.notePeak(rssBytes, processes);
    return { atMs, processes, rssBytes };
  }

  /** Stops sampling (after one last sample) and returns the figures for the window. */
  stop(): TreeUsage {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    const { ticks } = systemConstants();
    let descendantTicks = this.exitedCpu;
    for (const member of this.members.values()) descendantTicks += member.cpuLast - member.cpuBase;
    let selfMs: number;
    if (this.cpuStart) {
      const d = process.cpuUsage(this.cpuStart);
      selfMs = (d.user + d.system) / 1000;
    } else {
      selfMs = ((this.rootCpuLast - this.rootCpuStart) * 1000) / ticks;
    }
    const descendantsMs = (descendantTicks * 1000) / ticks;
    return {
      supported: this.supported,
      samples: this.samples,
      peakRssBytes: this.peak.rssBytes,
      peakProcesses: this.peak.processes,
      descendantsSeen: this.descendantsSeen,
      cpu: { selfMs: round1(selfMs), descendantsMs: round1(descendantsMs), totalMs: round1(selfMs + descendantsMs) },
      wallMs: round1(performance.now() - this.startedAt),
    };
  }

  private read(pid: number): ProcStat | null {
    try {
      return parseProcStat(readFileSync(path.join(this.procRoot, String(pid), "stat"), "utf8"));
    } catch {
      return null; // gone between the listing and the read
    }
  }

  private retire(pid: number, member: Member): void {
    this.exitedCpu += member.cpuLast - member.cpuBase;
    this.members.delete(pid);
  }

  private notePeak(rssBytes: number, processes: number): void {
    if (rssBytes > this.peak.rssBytes) this.peak = { rssBytes, processes };
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Runs `fn` while sampling this process's tree; returns its result and the usage. */
export async function withProcessTreeSampler<T>(
  fn: () => Promise<T>,
  options?: ProcessTreeSamplerOptions,
): Promise<{ result: T; usage: TreeUsage }> {
  const sampler = new ProcessTreeSampler(options);
  sampler.start();
  let usage: TreeUsage | undefined;
  try {
    const result = await fn();
    usage = sampler.stop();
    return { result, usage };
  } finally {
    if (!usage) sampler.stop();
  }
}
