/**
 * The RSS half of the per-page memory cap (`--max-page-memory`; the V8 heap limit is the other
 * half, a Chromium flag). Every `intervalMs` it sums the resident memory of the renderer processes
 * of one Chromium (the members of its process group started with `--type=renderer`, Chromium's own
 * UI renderers left out) and calls `onExceeded` once, the first time the sum passes the limit.
 *
 * Invariants: Linux only (/proc); elsewhere `supported` is false and it does nothing. It reads
 * /proc/<pid>/stat once per new process and /proc/<pid>/status of the renderers per tick, never
 * blocks for long, and its timer never keeps the process alive. ArrayBuffers, canvases and DOM
 * live outside the V8 heap: this is what catches them.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";

export interface MemoryWatchOptions {
  /** Pid of the Chromium main process, which leads the process group. */
  groupId: number;
  limitMb: number;
  intervalMs?: number;
  onExceeded(sample: { rssMb: number; pids: number[] }): void;
}

export interface MemoryWatch {
  readonly supported: boolean;
  /** The last sum of renderer RSS, MB (0 before the first sample). */
  readonly lastRssMb: number;
  /** The largest sum seen, MB. */
  readonly peakRssMb: number;
  /** Renderer pids of the last sample. */
  readonly rendererPids: number[];
  stop(): void;
}

interface Known {
  member: boolean;
  renderer: boolean;
}

/** Process group (field 5) of /proc/<pid>/stat; null when unreadable. */
export function processGroupOf(statText: string): number | null {
  const close = statText.lastIndexOf(")");
  if (close < 0) return null;
  const fields = statText.slice(close + 2).split(" ");
  // fields[0] is field 3 (state): field n is fields[n - 3].
  const pgrp = Number(fields[2]);
  return Number.isInteger(pgrp) ? pgrp : null;
}

/** VmRSS of /proc/<pid>/status in MB; 0 when absent. */
export function rssMbOf(statusText: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(statusText);
  return match ? Number(match[1]) / 1024 : 0;
}

export function watchRendererMemory(options: MemoryWatchOptions): MemoryWatch {
  const supported = process.platform === "linux" && existsSync("/proc/self/status");
  const known = new Map<number, Known>();
  let lastRssMb = 0;
  let peakRssMb = 0;
  let rendererPids: number[] = [];
  let fired = false;
  let timer: NodeJS.Timeout | null = null;

  const read = (file: string): string | null => {
    try {
      return readFileSync(file, "latin1");
    } catch {
      return null;
    }
  };

  const sample = () => {
    let entries: string[];
    try {
      entries = readdirSync("/proc");
    } catch {
      return;
    }
    const alive = new Set<number>();
    let total = 0;
    const pids: number[] = [];
    for (const entry of entries) {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid <= 0) continue;
      alive.add(pid);
      let info = known.get(pid);
      if (!info) {
        const stat = read(`/proc/${pid}/stat`);
        if (stat === null) continue;
        const member = processGroupOf(stat) === options.groupId;
        const cmdline = member ? (read(`/proc/${pid}/cmdline`) ?? "") : "";
        info = { member, renderer: member && cmdline.includes("--type=renderer") && !cmdline.includes("--top-chrome-webui") };
        known.set(pid, info);
      }
      if (!info.renderer) continue;
      const status = read(`/proc/${pid}/status`);
      if (status === null) continue;
      total += rssMbOf(status);
      pids.push(pid);
    }
    for (const pid of known.keys()) if (!alive.has(pid)) known.delete(pid);
    lastRssMb = total;
    peakRssMb = Math.max(peakRssMb, total);
    rendererPids = pids;
    if (!fired && total > options.limitMb) {
      fired = true;
      options.onExceeded({ rssMb: total, pids });
    }
  };

  if (supported) {
    sample();
    timer = setInterval(sample, options.intervalMs ?? 200);
    timer.unref();
  }
  return {
    supported,
    get lastRssMb() {
      return lastRssMb;
    },
    get peakRssMb() {
      return peakRssMb;
    },
    get rendererPids() {
      return rendererPids;
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
