/**
 * How a benchmark reads: the terminal table of one project, the Markdown table over several (with
 * baseline columns), and the comparison against a baseline that flags slowdowns. All pure.
 */
import { orderStages, round, type BenchmarkCombo, type BenchmarkResult, type BenchmarkRow } from "./benchmark.js";

export function workersLabel(row: Pick<BenchmarkRow, "workers" | "workersUsed">): string {
  const used = row.workersUsed.join("/");
  return row.workers === "auto" ? `auto→${used}` : String(row.workers) === used ? used : `${row.workers}→${used}`;
}

/** Pads a table of cells into aligned columns; numeric-looking cells align right. */
export function alignColumns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  const numeric = (cell: string) => /^[-\d.,–→/ ]+$|^n\/a$/.test(cell);
  return rows.map((row, r) =>
    row
      .map((cell, i) => {
        const pad = " ".repeat(widths[i]! - [...cell].length);
        return r > 0 && numeric(cell) ? pad + cell : cell + pad;
      })
      .join("  ")
      .trimEnd(),
  );
}

const fmt = (x: number | null, digits = 1) => (x === null || !Number.isFinite(x) ? "n/a" : x.toFixed(digits));

/** The human table of a benchmark result (pure). */
export function formatBenchmarkTable(result: BenchmarkResult): string {
  // Stages under 0.05 ms/frame in every row (audio without audio, composite for SDR) are left out; --json has them.
  const stages = orderStages(result.rows.flatMap((r) => Object.keys(r.msPerFrame))).filter((s) =>
    result.rows.some((r) => (r.msPerFrame[s] ?? 0) >= 0.05),
  );
  const size = result.width && result.height ? `${result.width}x${result.height}` : "?x?";
  const m = result.machine;
  const lines = [
    `frameloom benchmark: ${result.project}`,
    `${size} @ ${result.compositionFps ?? "?"} fps, ${result.frames} frames, preset ${result.preset}${result.hdr ? ` (HDR ${result.hdr.transfer})` : ""}, ` +
      `${result.runsPerCombination} run(s) per combination, ${(result.wallMs / 1000).toFixed(0)} s in all`,
    `machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB, node ${m.node}; load ${m.load1} at start, ${result.load1End} at end` +
      (Math.max(m.load1, result.load1End) > m.cores * 0.5 ? " (busy machine: figures contended)" : ""),
    "",
  ];
  const header = ["route", "workers", "fps", "min–max", "TTFF ms", "steady fps", ...stages.map((s) => `${s} ms/f`), "CPU s/f", "peak RSS MB"];
  const body = result.rows.map((row) => [
    row.route,
    workersLabel(row),
    fmt(row.fps.median, 2),
    `${fmt(row.fps.min, 2)}–${fmt(row.fps.max, 2)}`,
    row.ttffMs === null ? "n/a" : String(row.ttffMs),
    fmt(row.steadyFps, 2),
    ...stages.map((s) => (s in row.msPerFrame ? fmt(row.msPerFrame[s]!) : "")),
    fmt(row.cpuSecondsPerFrame, 3),
    String(row.peakRssMb),
  ]);
  lines.push(...alignColumns([header, ...body]));
  lines.push("");
  for (const s of result.skipped) lines.push(`skipped: ${s.route} workers ${s.workers} (${s.reason})`);
  lines.push("ms/f: perfStages per frame (stages under 0.05 left out); capture, composite and encode overlap when streaming.");
  lines.push("RSS: whole process tree (Chromium, ffmpeg), shared pages counted per process. CPU: this process + descendants.");
  lines.push("Figures compare only with others from the same run on the same machine.");
  return lines.join("\n");
}

/** One combination against a baseline: ratio = fps / baseline fps (above 1: faster). */
export interface FpsComparison extends BenchmarkCombo {
  fps: number;
  baselineFps: number | null;
  ratio: number | null;
  /** fps dropped by more than the threshold. */
  slower: boolean;
}

export type BaselineRow = BenchmarkCombo & { fps: { median: number } };

/** Matches rows by route and worker setting and flags drops of fps beyond `threshold` (0.15 = 15 %). */
export function compareWithBaseline(
  rows: ReadonlyArray<BenchmarkCombo & { fps: { median: number } }>,
  baseline: ReadonlyArray<BaselineRow>,
  threshold = 0.15,
): FpsComparison[] {
  const key = (c: BenchmarkCombo) => `${c.route}|${c.workers}`;
  const byKey = new Map(baseline.map((b) => [key(b), b]));
  return rows.map((row) => {
    const base = byKey.get(key(row));
    const baselineFps = base && base.fps.median > 0 ? base.fps.median : null;
    const ratio = baselineFps === null ? null : round(row.fps.median / baselineFps);
    const slower = baselineFps !== null && 1 - row.fps.median / baselineFps > threshold + 1e-9;
    return { route: row.route, workers: row.workers, fps: row.fps.median, baselineFps, ratio, slower };
  });
}

export interface BenchmarkCaseReport {
  id: string;
  label: string;
  width?: number;
  height?: number;
  frames: number;
  hdr?: { transfer: string } | null;
  rows: BenchmarkRow[];
  comparison?: FpsComparison[];
  skipped?: Array<BenchmarkCombo & { reason: string }>;
}

const mdEscape = (text: string) => text.replace(/\|/g, "\\|");

/** A Markdown table over several projects' results, with the baseline columns when compared (pure). */
export function formatMarkdownTable(cases: readonly BenchmarkCaseReport[]): string {
  const compared = cases.some((c) => c.comparison?.some((x) => x.baselineFps !== null));
  const header = ["case", "route", "workers", "fps (min–max)", "TTFF ms", "ms/frame by stage", "CPU s/frame", "peak RSS MB"];
  if (compared) header.push("baseline fps", "ratio", "");
  const numeric = new Set(["fps (min–max)", "TTFF ms", "CPU s/frame", "peak RSS MB", "baseline fps", "ratio"]);
  const lines = [`| ${header.join(" | ")} |`, `|${header.map((h) => (numeric.has(h) ? "---:" : "---")).join("|")}|`];
  for (const c of cases) {
    const size = c.width && c.height ? `${c.width}x${c.height}, ` : "";
    const name = `${c.label} (${size}${c.frames} frames${c.hdr ? `, HDR ${c.hdr.transfer.toUpperCase()}` : ""})`;
    for (const row of c.rows) {
      const stages = Object.entries(row.msPerFrame)
        .filter(([, v]) => v >= 0.05)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(" · ");
      const cells = [
        name,
        row.route,
        workersLabel(row),
        `${row.fps.median.toFixed(2)} (${row.fps.min.toFixed(2)}–${row.fps.max.toFixed(2)})`,
        row.ttffMs === null ? "n/a" : String(row.ttffMs),
        stages,
        row.cpuSecondsPerFrame.toFixed(3),
        String(row.peakRssMb),
      ];
      if (compared) {
        const cmp = c.comparison?.find((x) => x.route === row.route && x.workers === row.workers);
        cells.push(cmp?.baselineFps == null ? "–" : cmp.baselineFps.toFixed(2), cmp?.ratio == null ? "–" : cmp.ratio.toFixed(2), cmp?.slower ? "**SLOWER**" : "");
      }
      lines.push(`| ${cells.map(mdEscape).join(" | ")} |`);
    }
  }
  const skipped = cases.flatMap((c) => (c.skipped ?? []).map((s) => `${c.id}: ${s.route} workers ${s.workers} (${s.reason})`));
  if (skipped.length) lines.push("", `Skipped: ${skipped.join("; ")}.`);
  return lines.join("\n");
}
