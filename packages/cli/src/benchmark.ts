/**
 * `benchmark(options)`: renders one project with each capture route and worker count, N runs each,
 * and reports per combination the median fps (frames / wall, set-up included), ms per frame by
 * stage (the kernel's perfStages / frames), peak RSS of the whole process tree, time to first
 * frame and CPU seconds per frame. `frameloom benchmark` prints it as a table or JSON.
 *
 * Runs are interleaved (round 1 of every combination, then round 2, …) so that a slow spell of a
 * shared machine spreads over the combinations instead of landing on one. Figures are only
 * comparable with others from the same run on the same machine.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PRESETS } from "@frameloom/kernel";
import { FrameloomError, SharedErrors, type ProgressEvent } from "@frameloom/shared-helpers";
import type { RenderApiOptions, RenderSummary } from "./render.js";
import { ProcessTreeSampler } from "./processTree.js";

export { ProcessTreeSampler, withProcessTreeSampler, type TreeUsage, type TreeSample } from "./processTree.js";

export const BENCHMARK_ROUTES = ["streaming", "disk", "sequential"] as const;
export type BenchmarkRoute = (typeof BENCHMARK_ROUTES)[number];
export type WorkersSetting = number | "auto";

/** What a render function must return: `render()`'s summary, or the subset an older build has. */
export type BenchmarkRenderResult = Pick<RenderSummary, "frames" | "perfStages" | "workers" | "route"> & Partial<RenderSummary>;
export type BenchmarkRenderFn = (options: RenderApiOptions) => Promise<BenchmarkRenderResult>;

export interface BenchmarkCombo {
  route: BenchmarkRoute;
  workers: WorkersSetting;
}

export interface BenchmarkOptions {
  /** Project directory or .html file. Default: the bundled example (examples/hello). */
  project?: string;
  /** Runs per combination (default 3). */
  runs?: number;
  /** Default [1, 2, "auto"]. */
  workers?: WorkersSetting[];
  /** Default all: streaming, disk, sequential (sequential runs once, with one worker). */
  routes?: BenchmarkRoute[];
  preset?: string;
  /** "A-B", inclusive, 0-based. */
  frames?: string;
  /** More render options for every run (e.g. `hdr`, `quality`). */
  renderOptions?: Omit<RenderApiOptions, "input" | "output" | "workers" | "route" | "preset" | "frames" | "signal" | "onProgress">;
  /** The render to measure (default: this package's `render`); e.g. an older build's, for A/B runs. */
  render?: BenchmarkRenderFn;
  signal?: AbortSignal;
  /** Process-tree sampling interval, ms (default 100). */
  sampleIntervalMs?: number;
  /** Called after each run. */
  onRun?(run: BenchmarkRun, progress: { done: number; total: number }): void;
}

export interface BenchmarkRun extends BenchmarkCombo {
  /** The route and worker count the render reports it used. */
  routeUsed: string;
  workersUsed: number;
  frames: number;
  /** From the call of render() to its result. */
  wallMs: number;
  fps: number;
  /** From the call of render() to the first progress event with framesDone >= 1; null if none came. */
  ttffMs: number | null;
  perfStages: Record<string, number>;
  peakRssBytes: number;
  /** CPU of this process and its descendants during the run (see processTree.ts for the method). */
  cpuMs: number;
  cpuSelfMs: number;
  cpuDescendantsMs: number;
  warnings: string[];
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface BenchmarkRow extends BenchmarkCombo {
  routeUsed: string;
  /** Worker counts the runs used (one value unless an adaptive retry shrank one). */
  workersUsed: number[];
  frames: number;
  fps: Spread;
  wallMs: Spread;
  /** Median; null when no run reported a first frame. */
  ttffMs: number | null;
  /** Median of (frames − 1) / (wall − TTFF): the rate once the first frame is out. */
  steadyFps: number | null;
  /** Median over runs of perfStages.<stage>Ms / frames, keyed by stage name ("capture", …). */
  msPerFrame: Record<string, number>;
  /** Median. */
  cpuSecondsPerFrame: number;
  /** Largest over the runs. */
  peakRssMb: number;
  runs: BenchmarkRun[];
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  node: string;
  platform: string;
  release: string;
  load1: number;
}

export interface BenchmarkResult {
  project: string;
  width?: number;
  height?: number;
  compositionFps?: string;
  frames: number;
  preset: string;
  hdr: RenderSummary["hdr"] | null;
  runsPerCombination: number;
  machine: MachineInfo;
  /** 1-minute load average at the end (machine.load1 is at the start). */
  load1End: number;
  date: string;
  wallMs: number;
  rows: BenchmarkRow[];
  skipped: Array<BenchmarkCombo & { reason: string }>;
  methods: Record<"fps" | "ttff" | "stages" | "rss" | "cpu", string>;
}

export const BENCHMARK_METHODS: BenchmarkResult["methods"] = {
  fps: "frames / wall seconds of the render() call, set-up (browser launch, compile, probe) included; median over runs",
  ttff: "from the call of render() to the first progress event with framesDone >= 1",
  stages: "perfStages.<stage>Ms / frames; capture, composite and encode overlap when streaming, so they do not add up to the wall time",
  rss: "sum of VmRSS over this process and all descendants, sampled from /proc every 100 ms; shared pages count once per process (an upper bound); largest over runs",
  cpu: "process.cpuUsage() delta of this process plus, per descendant, the last utime + stime seen in /proc/<pid>/stat (CPU after a process's last sample is missed: a slight lower bound)",
};

/** The bundled example (examples/hello of the repository), or null outside a checkout. */
export function bundledExample(): string | null {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../examples/hello");
  return existsSync(path.join(dir, "index.html")) ? dir : null;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

function invalid(message: string): never {
  throw new FrameloomError(SharedErrors.INVALID_ARGUMENT, message);
}

/** Parses "1,2,auto". */
export function parseWorkersList(text: string): WorkersSetting[] {
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) invalid("--workers: expected a list like 1,2,auto");
  return unique(
    items.map((item) => {
      if (item === "auto") return "auto" as const;
      const n = Number(item);
      if (!Number.isInteger(n) || n < 1 || n > 64) invalid(`--workers: "${item}" is not a worker count (1-64) or auto`);
      return n;
    }),
  );
}

/** Parses "streaming,disk,sequential". */
export function parseRoutesList(text: string): BenchmarkRoute[] {
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) invalid(`--routes: expected a list of ${BENCHMARK_ROUTES.join(", ")}`);
  for (const item of items) {
    if (!(BENCHMARK_ROUTES as readonly string[]).includes(item)) invalid(`--routes: "${item}" is not a route (${BENCHMARK_ROUTES.join(", ")})`);
  }
  return unique(items as BenchmarkRoute[]);
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

/**
 * The combinations to run: every route × worker setting, except that sequential (one browser by
 * nature) runs once, with workers 1, and its other worker settings are listed as skipped.
 */
export function planCombos(routes: readonly BenchmarkRoute[], workers: readonly WorkersSetting[]): { combos: BenchmarkCombo[]; skipped: Array<BenchmarkCombo & { reason: string }> } {
  const combos: BenchmarkCombo[] = [];
  const skipped: Array<BenchmarkCombo & { reason: string }> = [];
  for (const route of unique([...routes])) {
    if (route === "sequential") {
      combos.push({ route, workers: 1 });
      for (const w of workers) if (w !== 1) skipped.push({ route, workers: w, reason: "sequential captures with one browser" });
      continue;
    }
    for (const w of unique([...workers])) combos.push({ route, workers: w });
  }
  return { combos, skipped };
}

export const round = (x: number, digits = 2) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** One row from the runs of one combination (pure). */
export function summarizeRuns(combo: BenchmarkCombo, runs: readonly BenchmarkRun[]): BenchmarkRow {
  if (runs.length === 0) throw new Error("summarizeRuns: no runs");
  const stageNames = orderStages(runs.flatMap((r) => Object.keys(r.perfStages)));
  const msPerFrame: Record<string, number> = {};
  for (const key of stageNames) {
    const values = runs.filter((r) => key in r.perfStages).map((r) => r.perfStages[key]! / r.frames);
    msPerFrame[stageLabel(key)] = round(median(values), 1);
  }
  const ttffs = runs.map((r) => r.ttffMs).filter((t): t is number => t !== null);
  const steady = runs
    .filter((r) => r.ttffMs !== null && r.frames > 1 && r.wallMs > r.ttffMs)
    .map((r) => (r.frames - 1) / ((r.wallMs - r.ttffMs!) / 1000));
  const fps = spread(runs.map((r) => r.fps));
  const wall = spread(runs.map((r) => r.wallMs));
  return {
    ...combo,
    routeUsed: runs[0]!.routeUsed,
    workersUsed: unique(runs.map((r) => r.workersUsed)).sort((a, b) => a - b),
    frames: runs[0]!.frames,
    fps: { median: round(fps.median), min: round(fps.min), max: round(fps.max) },
    wallMs: { median: Math.round(wall.median), min: Math.round(wall.min), max: Math.round(wall.max) },
    ttffMs: ttffs.length ? Math.round(median(ttffs)) : null,
    steadyFps: steady.length ? round(median(steady)) : null,
    msPerFrame,
    cpuSecondsPerFrame: round(median(runs.map((r) => r.cpuMs / 1000 / r.frames)), 3),
    peakRssMb: Math.round(Math.max(...runs.map((r) => r.peakRssBytes)) / (1024 * 1024)),
    runs: [...runs],
  };
}

const STAGE_ORDER = ["compile", "audio", "capture", "composite", "encode"];

function stageLabel(key: string): string {
  return key.endsWith("Ms") ? key.slice(0, -2) : key;
}

/** perfStages keys in pipeline order, then any others alphabetically. */
export function orderStages(keys: string[]): string[] {
  const rank = (k: string) => {
    const i = STAGE_ORDER.indexOf(stageLabel(k));
    return i < 0 ? STAGE_ORDER.length : i;
  };
  return unique(keys).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: process.platform,
    release: os.release(),
    load1: round(os.loadavg()[0]!),
  };
}

const EXTENSIONS: Record<string, string> = { mp4: ".mp4", webm: ".webm", mov: ".mov", gif: ".gif", "png-sequence": "" };

function checkOptions(options: BenchmarkOptions): { project: string; runs: number; workers: WorkersSetting[]; routes: BenchmarkRoute[] } {
  const runs = options.runs ?? 3;
  if (!Number.isInteger(runs) || runs < 1) invalid(`runs must be a positive integer, got ${runs}`);
  const workers = options.workers ?? [1, 2, "auto"];
  const routes = options.routes ?? [...BENCHMARK_ROUTES];
  if (workers.length === 0) invalid("workers: the list is empty");
  if (routes.length === 0) invalid("routes: the list is empty");
  for (const w of workers) if (w !== "auto" && (!Number.isInteger(w) || w < 1)) invalid(`workers: ${w} is not a worker count or auto`);
  for (const r of routes) if (!(BENCHMARK_ROUTES as readonly string[]).includes(r)) invalid(`routes: "${r}" is not a route (${BENCHMARK_ROUTES.join(", ")})`);
  const project = options.project ?? bundledExample();
  if (!project) invalid("no project given, and the bundled example (examples/hello) is not there");
  if (!existsSync(project)) invalid(`project not found: ${project}`);
  return { project: path.resolve(project), runs, workers, routes };
}

async function measureRun(
  renderFn: BenchmarkRenderFn,
  combo: BenchmarkCombo,
  base: RenderApiOptions,
  sampleIntervalMs: number,
): Promise<{ run: BenchmarkRun; summary: BenchmarkRenderResult }> {
  const warnings: string[] = [];
  let ttffMs: number | null = null;
  const userProgress = base.onProgress;
  const userWarning = base.onWarning;
  const sampler = new ProcessTreeSampler({ intervalMs: sampleIntervalMs });
  sampler.start();
  const started = performance.now();
  let summary: BenchmarkRenderResult;
  try {
    summary = await renderFn({
      ...base,
      workers: combo.workers,
      route: combo.route,
      onProgress: (event: ProgressEvent) => {
        if (ttffMs === null && event.framesDone >= 1) ttffMs = Math.round(performance.now() - started);
        userProgress?.(event);
      },
      onWarning: (message: string) => {
        warnings.push(message);
        userWarning?.(message);
      },
    });
  } catch (error) {
    sampler.stop();
    throw error;
  }
  const wallMs = performance.now() - started;
  const usage = sampler.stop();
  const frames = summary.frames;
  return {
    summary,
    run: {
      ...combo,
      routeUsed: summary.route,
      workersUsed: summary.workers,
      frames,
      wallMs: Math.round(wallMs),
      fps: round(frames / (wallMs / 1000)),
      ttffMs,
      perfStages: { ...summary.perfStages },
      peakRssBytes: usage.peakRssBytes,
      cpuMs: Math.round(usage.cpu.totalMs),
      cpuSelfMs: Math.round(usage.cpu.selfMs),
      cpuDescendantsMs: Math.round(usage.cpu.descendantsMs),
      warnings: [...new Set([...warnings, ...(summary.warnings ?? [])])],
    },
  };
}

export async function benchmark(options: BenchmarkOptions = {}): Promise<BenchmarkResult> {
  const { project, runs, workers, routes } = checkOptions(options);
  // Loaded only when used: an A/B run that passes another build's render keeps this one's stages out of memory.
  const renderFn = options.render ?? (await import("./render.js")).render;
  const preset = options.preset ?? options.renderOptions?.quality ?? "standard";
  const format = PRESETS[preset]?.encode.format ?? options.renderOptions?.format ?? "mp4";
  const ext = EXTENSIONS[format] ?? ".mp4";
  const plan = planCombos(routes, workers);
  const skipped = [...plan.skipped];
  let active = [...plan.combos];
  const runsOf = new Map<BenchmarkCombo, BenchmarkRun[]>(active.map((c) => [c, []]));
  const machine = machineInfo();
  const startedAt = performance.now();
  const date = new Date().toISOString();
  const dir = mkdtempSync(path.join(os.tmpdir(), "frameloom-benchmark-"));
  let first: BenchmarkRenderResult | undefined;
  let done = 0;
  try {
    for (let pass = 0; pass < runs; pass++) {
      const thisPass = [...active];
      for (const [i, combo] of thisPass.entries()) {
        options.signal?.throwIfAborted();
        const output = path.join(dir, `run-${done}${ext}`);
        const { run, summary } = await measureRun(
          renderFn,
          combo,
          {
            ...options.renderOptions,
            input: project,
            output,
            ...(options.preset ? { preset: options.preset } : {}),
            ...(options.frames ? { frames: options.frames } : {}),
            signal: options.signal,
          },
          options.sampleIntervalMs ?? 100,
        );
        rmSync(output, { recursive: true, force: true });
        first ??= summary;
        done++;
        // Layered capture (HDR, video) always streams: disk or sequential would measure streaming again.
        if ((BENCHMARK_ROUTES as readonly string[]).includes(run.routeUsed) && run.routeUsed !== combo.route) {
          active = active.filter((c) => c !== combo);
          runsOf.delete(combo);
          skipped.push({ ...combo, reason: `the render ran as ${run.routeUsed}${run.warnings[0] ? `: ${run.warnings[0]}` : ""}` });
        } else {
          runsOf.get(combo)!.push(run);
        }
        const left = thisPass.slice(i + 1).filter((c) => active.includes(c)).length + active.length * (runs - pass - 1);
        options.onRun?.(run, { done, total: done + left });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = [...runsOf].map(([combo, list]) => summarizeRuns(combo, list));
  return {
    project,
    width: first?.width,
    height: first?.height,
    compositionFps: first?.compositionFps,
    frames: rows[0]?.frames ?? first?.frames ?? 0,
    preset: first?.preset ?? preset,
    hdr: first?.hdr ?? null,
    runsPerCombination: runs,
    machine,
    load1End: round(os.loadavg()[0]!),
    date,
    wallMs: Math.round(performance.now() - startedAt),
    rows,
    skipped,
    methods: BENCHMARK_METHODS,
  };
}
