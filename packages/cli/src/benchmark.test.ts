import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { alignColumns, compareWithBaseline, formatBenchmarkTable, formatMarkdownTable, workersLabel } from "./benchmarkReport.js";
import {
  benchmark,
  bundledExample,
  median,
  parseRoutesList,
  parseWorkersList,
  planCombos,
  spread,
  summarizeRuns,
  type BenchmarkRenderFn,
  type BenchmarkResult,
  type BenchmarkRun,
} from "./benchmark.js";

function run(over: Partial<BenchmarkRun> = {}): BenchmarkRun {
  return {
    route: "streaming",
    workers: 2,
    routeUsed: "streaming",
    workersUsed: 2,
    frames: 100,
    wallMs: 10_000,
    fps: 10,
    ttffMs: 1000,
    perfStages: { compileMs: 100, captureMs: 8000, encodeMs: 9000 },
    peakRssBytes: 500 * 1024 * 1024,
    cpuMs: 15_000,
    cpuSelfMs: 5000,
    cpuDescendantsMs: 10_000,
    warnings: [],
    ...over,
  };
}

describe("median and spread", () => {
  it("takes the middle value, or the mean of the two middle ones", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
    expect(spread([5, 9, 1])).toEqual({ median: 5, min: 1, max: 9 });
  });
});

describe("option lists", () => {
  it("parses worker and route lists, without duplicates", () => {
    expect(parseWorkersList("1, 2,auto,2")).toEqual([1, 2, "auto"]);
    expect(parseRoutesList("disk,streaming,disk")).toEqual(["disk", "streaming"]);
  });

  it("refuses bad items with the code of an invalid argument", () => {
    expect(() => parseWorkersList("1,0")).toThrow(/"0" is not a worker count/);
    expect(() => parseWorkersList("two")).toThrow(expect.objectContaining({ code: "FLM_ERR_INVALID_ARGUMENT" }));
    expect(() => parseWorkersList(",")).toThrow(/expected a list/);
    expect(() => parseRoutesList("streaming,layered")).toThrow(/"layered" is not a route/);
  });
});

describe("planCombos", () => {
  it("runs every route with every worker setting, but sequential once with one worker", () => {
    const { combos, skipped } = planCombos(["streaming", "disk", "sequential"], [1, 2, "auto"]);
    expect(combos).toEqual([
      { route: "streaming", workers: 1 },
      { route: "streaming", workers: 2 },
      { route: "streaming", workers: "auto" },
      { route: "disk", workers: 1 },
      { route: "disk", workers: 2 },
      { route: "disk", workers: "auto" },
      { route: "sequential", workers: 1 },
    ]);
    expect(skipped.map((s) => `${s.route}/${s.workers}`)).toEqual(["sequential/2", "sequential/auto"]);
  });

  it("runs sequential even when 1 is not among the worker settings", () => {
    expect(planCombos(["sequential"], ["auto"]).combos).toEqual([{ route: "sequential", workers: 1 }]);
  });
});

describe("summarizeRuns", () => {
  it("takes medians of fps, TTFF, stage ms/frame and CPU, and the largest peak RSS", () => {
    const row = summarizeRuns({ route: "streaming", workers: 2 }, [
      run({ fps: 10, wallMs: 10_000, ttffMs: 1000, peakRssBytes: 400 * 1024 * 1024 }),
      run({ fps: 8, wallMs: 12_500, ttffMs: 3000, perfStages: { compileMs: 300, captureMs: 11_000, encodeMs: 12_000 }, cpuMs: 20_000 }),
      run({ fps: 12, wallMs: 8333, ttffMs: 900, peakRssBytes: 700 * 1024 * 1024, perfStages: { compileMs: 50, captureMs: 7000, encodeMs: 7000 } }),
    ]);
    expect(row.fps).toEqual({ median: 10, min: 8, max: 12 });
    expect(row.wallMs.median).toBe(10_000);
    expect(row.ttffMs).toBe(1000);
    expect(row.msPerFrame).toEqual({ compile: 1, capture: 80, encode: 90 });
    expect(Object.keys(row.msPerFrame)).toEqual(["compile", "capture", "encode"]);
    expect(row.cpuSecondsPerFrame).toBe(0.15);
    expect(row.peakRssMb).toBe(700);
    // steady: (100 - 1) frames over wall − TTFF: 11, 10.2, 12.2 → 11
    expect(row.steadyFps).toBe(11);
    expect(row.runs).toHaveLength(3);
    expect(row.workersUsed).toEqual([2]);
  });

  it("keeps every worker count used and handles runs without a first frame", () => {
    const row = summarizeRuns({ route: "disk", workers: "auto" }, [run({ workersUsed: 2, ttffMs: null }), run({ workersUsed: 1, ttffMs: null })]);
    expect(row.workersUsed).toEqual([1, 2]);
    expect(row.ttffMs).toBeNull();
    expect(row.steadyFps).toBeNull();
    expect(workersLabel(row)).toBe("auto→1/2");
    expect(workersLabel({ workers: 2, workersUsed: [2] })).toBe("2");
    expect(workersLabel({ workers: 4, workersUsed: [2] })).toBe("4→2");
  });
});

describe("formatBenchmarkTable", () => {
  const result: BenchmarkResult = {
    project: "/p/hello",
    width: 1920,
    height: 1080,
    compositionFps: "30",
    frames: 100,
    preset: "standard",
    hdr: null,
    runsPerCombination: 2,
    machine: { cpuModel: "Test CPU", cores: 2, memoryGb: 8, node: "v20.0.0", platform: "linux", release: "6", load1: 0.2 },
    load1End: 0.4,
    date: "2025-01-01T00:00:00.000Z",
    wallMs: 61_000,
    rows: [
      summarizeRuns({ route: "streaming", workers: 1 }, [run({ workers: 1, workersUsed: 1 })]),
      summarizeRuns({ route: "disk", workers: "auto" }, [run({ route: "disk", workers: "auto", fps: 9.5, ttffMs: 12_345, perfStages: { compileMs: 100, captureMs: 8000, encodeMs: 9000, compositeMs: 500 } })]),
    ],
    skipped: [{ route: "sequential", workers: 2, reason: "sequential captures with one browser" }],
    methods: { fps: "", ttff: "", stages: "", rss: "", cpu: "" },
  };

  it("prints one aligned row per combination, with stage columns in pipeline order", () => {
    const text = formatBenchmarkTable(result);
    const lines = text.split("\n");
    const header = lines.find((l) => l.startsWith("route"))!;
    expect(header).toMatch(/^route\s+workers\s+fps\s+min–max\s+TTFF ms\s+steady fps\s+compile ms\/f\s+capture ms\/f\s+composite ms\/f\s+encode ms\/f\s+CPU s\/f\s+peak RSS MB$/);
    const rows = lines.filter((l) => /^(streaming|disk) /.test(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^streaming\s+1\s+10\.00\s+10\.00–10\.00\s+1000\s+11\.00\s+1\.0\s+80\.0\s+90\.0\s+0\.150\s+500$/);
    expect(rows[1]).toMatch(/^disk\s+auto→2\s+9\.50 .* 12345 .* 5\.0 .*/);
    // right-aligned numbers end in the same column as their header
    expect(rows[0]!.length).toBe(header.length);
    expect(text).toContain("1920x1080 @ 30 fps, 100 frames, preset standard, 2 run(s) per combination, 61 s in all");
    expect(text).toContain("machine: Test CPU, 2 cores, 8 GB, node v20.0.0; load 0.2 at start, 0.4 at end");
    expect(text).not.toContain("contended");
    expect(text).toContain("skipped: sequential workers 2 (sequential captures with one browser)");
  });

  it("says when the machine was busy", () => {
    expect(formatBenchmarkTable({ ...result, load1End: 1.8 })).toContain("(busy machine: figures contended)");
  });

  it("alignColumns pads text left and numbers right", () => {
    expect(alignColumns([["a", "bb"], ["ccc", "1"], ["d", "22"]])).toEqual(["a    bb", "ccc   1", "d    22"]);
  });
});

describe("benchmark() with a stand-in render", () => {
  const project = bundledExample() ?? path.resolve("../../examples/hello");

  it("runs each combination N times, interleaved, measures TTFF from progress, and removes its temp dir", async () => {
    const calls: Array<{ route: string; workers: unknown; output: string; preset?: string; frames?: string }> = [];
    const fake: BenchmarkRenderFn = async (o) => {
      calls.push({ route: String(o.route), workers: o.workers, output: o.output, preset: o.preset, frames: o.frames });
      writeFileSync(o.output, "x");
      await new Promise((r) => setTimeout(r, 30));
      o.onProgress?.({ jobId: "j", stage: "capture", status: "running", progress: 0, framesDone: 0, totalFrames: 10, workers: 1 });
      await new Promise((r) => setTimeout(r, 20));
      o.onProgress?.({ jobId: "j", stage: "capture", status: "running", progress: 0.1, framesDone: 1, totalFrames: 10, workers: 1 });
      o.onWarning?.("a warning");
      return { frames: 10, perfStages: { captureMs: 40 }, workers: o.workers === "auto" ? 2 : Number(o.workers), route: String(o.route), width: 64, height: 32 };
    };
    const seen: string[] = [];
    const result = await benchmark({
      project,
      runs: 2,
      workers: [1, "auto"],
      routes: ["streaming", "sequential"],
      preset: "draft",
      frames: "0-9",
      render: fake,
      sampleIntervalMs: 20,
      onRun: (r, p) => seen.push(`${p.done}/${p.total} ${r.route}:${r.workers}`),
    });
    expect(calls.map((c) => `${c.route}:${c.workers}`)).toEqual([
      "streaming:1", "streaming:auto", "sequential:1",
      "streaming:1", "streaming:auto", "sequential:1",
    ]);
    expect(seen[0]).toBe("1/6 streaming:1");
    expect(seen[5]).toBe("6/6 sequential:1");
    expect(calls.every((c) => c.preset === "draft" && c.frames === "0-9" && c.output.endsWith(".mp4"))).toBe(true);
    expect(new Set(calls.map((c) => path.dirname(c.output))).size).toBe(1);
    expect(existsSync(path.dirname(calls[0]!.output))).toBe(false);
    expect(result.rows).toHaveLength(3);
    const row = result.rows[1]!;
    expect(row).toMatchObject({ route: "streaming", workers: "auto", workersUsed: [2], frames: 10 });
    expect(row.runs).toHaveLength(2);
    expect(row.ttffMs).toBeGreaterThanOrEqual(45);
    expect(row.ttffMs).toBeLessThan(row.wallMs.median + 1);
    expect(row.runs[0]!.warnings).toEqual(["a warning"]);
    expect(row.peakRssMb).toBeGreaterThan(10);
    expect(result).toMatchObject({ width: 64, height: 32, frames: 10, runsPerCombination: 2 });
    expect(result.skipped).toEqual([{ route: "sequential", workers: "auto", reason: "sequential captures with one browser" }]);
  });

  it("drops a combination whose render ran on another route (layered capture always streams)", async () => {
    const fake: BenchmarkRenderFn = async (o) => {
      if (o.route !== "streaming") o.onWarning?.(`layered capture (HDR or video) always streams: --route ${o.route} ignored`);
      return { frames: 5, perfStages: {}, workers: 1, route: "streaming" };
    };
    let calls = 0;
    const result = await benchmark({
      project,
      runs: 3,
      workers: [1],
      routes: ["streaming", "disk"],
      render: async (o) => {
        calls++;
        return fake(o);
      },
    });
    expect(calls).toBe(4); // streaming ×3, disk once
    expect(result.rows.map((r) => r.route)).toEqual(["streaming"]);
    expect(result.skipped).toEqual([
      { route: "disk", workers: 1, reason: "the render ran as streaming: layered capture (HDR or video) always streams: --route disk ignored" },
    ]);
  });

  it("refuses bad options before rendering, and removes its temp dir when a render fails", async () => {
    await expect(benchmark({ project, runs: 0 })).rejects.toThrow(/runs must be a positive integer/);
    await expect(benchmark({ project: "/nonexistent/project" })).rejects.toMatchObject({ code: "FLM_ERR_INVALID_ARGUMENT" });
    let output = "";
    await expect(
      benchmark({
        project,
        runs: 1,
        workers: [1],
        routes: ["streaming"],
        render: async (o) => {
          output = o.output;
          throw new Error("boom");
        },
      }),
    ).rejects.toThrow("boom");
    expect(existsSync(path.dirname(output))).toBe(false);
  });
});

describe("compareWithBaseline", () => {
  const rows = [
    { route: "streaming" as const, workers: "auto" as const, fps: { median: 8.4 } },
    { route: "streaming" as const, workers: 1, fps: { median: 8.5 } },
    { route: "disk" as const, workers: "auto" as const, fps: { median: 12 } },
    { route: "sequential" as const, workers: 1, fps: { median: 5 } },
  ];
  const baseline = [
    { route: "streaming" as const, workers: "auto" as const, fps: { median: 10 } },
    { route: "streaming" as const, workers: 1, fps: { median: 10 } },
    { route: "disk" as const, workers: "auto" as const, fps: { median: 10 } },
  ];

  it("flags a drop of more than 15 %, not one of exactly 15 %, and matches by route and worker setting", () => {
    expect(compareWithBaseline(rows, baseline)).toEqual([
      { route: "streaming", workers: "auto", fps: 8.4, baselineFps: 10, ratio: 0.84, slower: true },
      { route: "streaming", workers: 1, fps: 8.5, baselineFps: 10, ratio: 0.85, slower: false },
      { route: "disk", workers: "auto", fps: 12, baselineFps: 10, ratio: 1.2, slower: false },
      { route: "sequential", workers: 1, fps: 5, baselineFps: null, ratio: null, slower: false },
    ]);
  });

  it("takes another threshold", () => {
    expect(compareWithBaseline(rows, baseline, 0.1).map((c) => c.slower)).toEqual([true, true, false, false]);
  });
});

describe("formatMarkdownTable", () => {
  const row = summarizeRuns({ route: "streaming", workers: "auto" }, [run({ workers: "auto", perfStages: { compileMs: 2, audioMs: 0, captureMs: 8000, encodeMs: 9000 } })]);

  it("writes one row per combination, stage cells without idle stages, and the baseline columns when compared", () => {
    const md = formatMarkdownTable([
      {
        id: "a",
        label: "GSAP | text",
        width: 1920,
        height: 1080,
        frames: 100,
        rows: [row],
        comparison: [{ route: "streaming", workers: "auto", fps: 10, baselineFps: 12.5, ratio: 0.8, slower: true }],
        skipped: [{ route: "disk", workers: 1, reason: "why" }],
      },
      { id: "b", label: "HDR", frames: 100, hdr: { transfer: "pq" }, rows: [row] },
    ]);
    const lines = md.split("\n");
    expect(lines[0]).toBe("| case | route | workers | fps (min–max) | TTFF ms | ms/frame by stage | CPU s/frame | peak RSS MB | baseline fps | ratio |  |");
    expect(lines[1]).toBe("|---|---|---|---:|---:|---|---:|---:|---:|---:|---|");
    expect(lines[2]).toBe(
      "| GSAP \\| text (1920x1080, 100 frames) | streaming | auto→2 | 10.00 (10.00–10.00) | 1000 | capture 80.0 · encode 90.0 | 0.150 | 500 | 12.50 | 0.80 | **SLOWER** |",
    );
    expect(lines[3]).toBe("| HDR (100 frames, HDR PQ) | streaming | auto→2 | 10.00 (10.00–10.00) | 1000 | capture 80.0 · encode 90.0 | 0.150 | 500 | – | – |  |");
    expect(md).toContain("Skipped: a: disk workers 1 (why).");
  });

  it("leaves the baseline columns out when nothing was compared", () => {
    const md = formatMarkdownTable([{ id: "a", label: "A", frames: 100, rows: [row] }]);
    expect(md.split("\n")[1]).toBe("|---|---|---|---:|---:|---|---:|---:|");
    expect(md).not.toContain("baseline");
  });
});

describe("formatBenchmarkTable stage columns", () => {
  it("leaves out stages idle in every row", () => {
    const row = summarizeRuns({ route: "streaming", workers: 1 }, [run({ workers: 1, workersUsed: 1, perfStages: { audioMs: 1, captureMs: 8000, encodeMs: 9000 } })]);
    const text = formatBenchmarkTable({
      project: "p", frames: 100, preset: "standard", hdr: null, runsPerCombination: 1, load1End: 0, date: "", wallMs: 0,
      machine: { cpuModel: "c", cores: 2, memoryGb: 1, node: "v20", platform: "linux", release: "6", load1: 0 },
      rows: [row], skipped: [], methods: { fps: "", ttff: "", stages: "", rss: "", cpu: "" },
    });
    expect(text).toContain("capture ms/f");
    expect(text).not.toContain("audio ms/f");
  });
});
