#!/usr/bin/env node
// `npm run bench`: frameloom's benchmark() over a few fixtures (1080p GSAP text, portrait many cuts,
// a video clip, an HDR PQ clip). Writes bench/results/latest.json and latest.md and compares fps
// with a baseline, flagging any case more than 15 % slower.
//
// Baselines:
//  --baseline-ref <ref>  builds that git revision (cached in node_modules/.cache/frameloom-bench/<sha>)
//                        and runs the same cases on it in this run, interleaved with the current tree
//                        (A B, then B A next pass): the ratio comes from one run on one machine.
//  otherwise             bench/baseline.json (committed), from another run: its machine and date are
//                        printed and the ratio is indicative only (machines here differ by 2×).
//
// Every measured render runs in a fresh process (bench/lib/run-one.mjs) for both sides alike; one
// short unmeasured warm-up render comes first.
//
// Usage: node bench/run.mjs [--full] [--runs N] [--cases id,id] [--baseline-ref REF]
//                           [--write-baseline] [--fail-on-slowdown] [--threshold 0.15]
//   default: workers auto, routes streaming + disk (layered cases: streaming), 2 runs (~5 min on 2 cores)
//   --full:  workers 1, 2, auto × every route that applies, 3 runs
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { compareWithBaseline, formatMarkdownTable, machineInfo, planCombos, summarizeRuns } from "@frameloom/cli";
import { gsapTextProject, manyCutsProject, videoClipProject } from "./fixtures.mjs";
import { prepareRef } from "./lib/baseline-ref.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const runner = path.join(root, "bench/lib/run-one.mjs");
const baselineFile = path.join(root, "bench/baseline.json");
const resultsDir = path.join(root, "bench/results");

const { values: opts } = parseArgs({
  options: {
    full: { type: "boolean", default: false },
    runs: { type: "string" },
    cases: { type: "string" },
    "baseline-ref": { type: "string" },
    "write-baseline": { type: "boolean", default: false },
    "fail-on-slowdown": { type: "boolean", default: false },
    threshold: { type: "string", default: "0.15" },
    help: { type: "boolean", default: false },
  },
});
if (opts.help) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").filter((l) => l.startsWith("//")).map((l) => l.slice(3)).join("\n") + "\n");
  process.exit(0);
}
const runs = Number(opts.runs ?? (opts.full ? 3 : 2));
const threshold = Number(opts.threshold);
if (!Number.isInteger(runs) || runs < 1) fail(`--runs: expected a positive integer, got ${opts.runs}`);
if (!(threshold > 0 && threshold < 1)) fail(`--threshold: expected a fraction like 0.15, got ${opts.threshold}`);

const CASES = [
  { id: "gsap-1080p", label: "1080p GSAP text", layered: false, make: () => gsapTextProject({ duration: 2 }) },
  { id: "portrait-cuts", label: "portrait many cuts", layered: false, make: () => manyCutsProject({ frames: 75, scenes: 10 }) },
  { id: "video-clip", label: "1080p video clip", layered: true, make: () => videoClipProject({ transfer: "sdr", seconds: 2 }) },
  { id: "hdr-pq", label: "1080p HDR PQ clip", layered: true, make: () => videoClipProject({ transfer: "pq", seconds: 2 }) },
];
const wanted = opts.cases ? opts.cases.split(",").map((s) => s.trim()) : CASES.map((c) => c.id);
for (const id of wanted) if (!CASES.some((c) => c.id === id)) fail(`--cases: no case "${id}" (${CASES.map((c) => c.id).join(", ")})`);

const currentCli = path.join(root, "packages/cli/dist/index.js");
if (!existsSync(currentCli)) fail("packages/cli/dist is missing: build first (npm run build)");

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}
const log = (line) => process.stderr.write(`${line}\n`);
const git = (...argv) => {
  try {
    return execFileSync("git", argv, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
};

/** The combinations a case runs, and those left out on purpose. */
function combosFor(c) {
  const routes = c.layered ? ["streaming"] : opts.full ? ["streaming", "disk", "sequential"] : ["streaming", "disk"];
  const plan = planCombos(routes, opts.full ? [1, 2, "auto"] : ["auto"]);
  if (c.layered && opts.full) {
    for (const route of ["disk", "sequential"]) plan.skipped.push({ route, workers: "any", reason: "layered capture (video, HDR) always streams" });
  }
  return plan;
}

let child = null;
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    interrupted = true;
    child?.kill("SIGTERM");
  });
}

/** One measured render in a fresh process. */
function runOne(side, project, combo, extra = {}) {
  const job = { cli: side.cli, project, route: combo.route, workers: combo.workers, ...extra };
  return new Promise((resolve, reject) => {
    if (interrupted) return reject(new Error("interrupted"));
    child = spawn(process.execPath, [runner, JSON.stringify(job)], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      child = null;
      let msg = null;
      try {
        msg = JSON.parse(out.trim().split("\n").pop() ?? "");
      } catch {
        // no JSON line: reported below
      }
      if (code === 0 && msg && !msg.error) resolve(msg);
      else reject(new Error(`${side.name}: ${combo.route} workers ${combo.workers}: ${msg?.error ?? `exit ${code ?? signal}`}${err ? `\n${err.slice(-3000)}` : ""}`));
    });
  });
}

const sides = [{ name: "current", cli: currentCli }];
let ref = null;
if (opts["baseline-ref"]) {
  ref = prepareRef(root, opts["baseline-ref"], log);
  sides.push({ name: "baseline", cli: ref.cli });
}

const startedAt = performance.now();
const machine = machineInfo();
const gitInfo = { sha: git("rev-parse", "HEAD"), dirty: Boolean(git("status", "--porcelain", "--untracked-files=no")) };
const cases = CASES.filter((c) => wanted.includes(c.id)).map((c) => ({ ...c, dir: null, ...combosFor(c), runs: {}, meta: null }));
const key = (combo) => `${combo.route}|${combo.workers}`;

try {
  for (const c of cases) {
    c.dir = c.make();
    for (const side of sides) c.runs[side.name] = new Map(c.combos.map((combo) => [key(combo), []]));
  }
  log(`bench: ${cases.length} case(s), ${runs} run(s) each, ${sides.length === 2 ? `A/B against ${opts["baseline-ref"]} (${ref.sha.slice(0, 10)})` : "current tree"}; ${machine.cpuModel}, ${machine.cores} cores, load ${machine.load1}`);
  const warmup = await runOne(sides[0], cases[0].dir, { route: "streaming", workers: "auto" }, { frames: "0-9" });
  log(`warm-up (not counted): ${warmup.run?.fps} fps over 10 frames`);
  for (let pass = 0; pass < runs; pass++) {
    for (const c of cases) {
      for (const combo of c.combos) {
        const order = pass % 2 === 0 ? sides : [...sides].reverse();
        for (const side of order) {
          if (!c.combos.includes(combo)) break;
          const result = await runOne(side, c.dir, combo);
          if (side.name === "current") c.meta ??= result;
          if (!result.run) {
            c.combos = c.combos.filter((x) => x !== combo);
            c.skipped.push(...result.skipped.filter((s) => s.route === combo.route));
            continue;
          }
          c.runs[side.name].get(key(combo)).push(result.run);
          const r = result.run;
          log(
            `[${pass + 1}/${runs}] ${c.id.padEnd(13)} ${combo.route.padEnd(10)} workers ${String(combo.workers).padEnd(4)} ${side.name.padEnd(8)} ` +
              `${r.fps} fps, first frame ${r.ttffMs === null ? "n/a" : `${(r.ttffMs / 1000).toFixed(1)} s`}, peak RSS ${Math.round(r.peakRssBytes / 1048576)} MB`,
          );
        }
      }
    }
  }
} catch (error) {
  log(`bench: ${interrupted ? "interrupted" : error.message}`);
  process.exitCode = interrupted ? 130 : 1;
} finally {
  for (const c of cases) if (c.dir) rmSync(c.dir, { recursive: true, force: true });
}
if (process.exitCode) process.exit(process.exitCode);

const rowsOf = (c, side) => c.combos.filter((combo) => c.runs[side].get(key(combo)).length).map((combo) => summarizeRuns(combo, c.runs[side].get(key(combo))));
for (const c of cases) {
  c.rows = rowsOf(c, "current");
  if (ref) c.baselineRows = rowsOf(c, "baseline");
}

// The baseline: this run's other side, else the committed file.
let baseline;
if (ref) {
  baseline = {
    kind: "same-run",
    ref: opts["baseline-ref"],
    sha: ref.sha,
    note: `${opts["baseline-ref"]} (${ref.sha.slice(0, 10)}) measured in this run, interleaved with the current tree: the ratios compare like with like`,
  };
  for (const c of cases) c.comparison = compareWithBaseline(c.rows, c.baselineRows, threshold);
} else if (existsSync(baselineFile)) {
  const file = JSON.parse(readFileSync(baselineFile, "utf8"));
  const m = file.machine ?? {};
  const sameMachine = m.cpuModel === machine.cpuModel && m.cores === machine.cores;
  baseline = {
    kind: "file",
    file: path.relative(root, baselineFile),
    machine: m,
    note:
      `bench/baseline.json, from ANOTHER RUN (${m.date ?? "undated"}, ${m.cpuModel ?? "?"}, ${m.cores ?? "?"} cores, git ${String(m.gitSha ?? "?").slice(0, 10)})` +
      `${sameMachine ? "" : ", on a different kind of machine"}: the ratios are indicative only; use --baseline-ref <git-ref> for a same-run comparison`,
  };
  for (const c of cases) c.comparison = compareWithBaseline(c.rows, file.cases?.[c.id]?.rows ?? [], threshold);
} else {
  baseline = {
    kind: "none",
    note: opts["write-baseline"]
      ? "none to compare with: bench/baseline.json was missing (this run writes it)"
      : "none: bench/baseline.json is missing (write one with --write-baseline) and no --baseline-ref was given",
  };
}

const slowdowns = cases.flatMap((c) =>
  (c.comparison ?? []).filter((x) => x.slower).map((x) => `SLOWER: ${c.id} ${x.route} workers ${x.workers}: ${x.fps} fps vs ${x.baselineFps} (${x.ratio}×)`),
);
const load1End = Math.round(os.loadavg()[0] * 100) / 100;
const report = (c, rows, comparison) => ({
  id: c.id,
  label: c.label,
  width: c.meta?.width,
  height: c.meta?.height,
  frames: c.meta?.frames ?? rows[0]?.frames ?? 0,
  hdr: c.meta?.hdr ?? null,
  rows,
  comparison,
  skipped: c.skipped,
});
const reports = cases.map((c) => report(c, c.rows, c.comparison));
const latest = {
  bench: "frameloom",
  version: 1,
  date: new Date().toISOString(),
  git: gitInfo,
  machine,
  load1End,
  wallMs: Math.round(performance.now() - startedAt),
  options: { full: opts.full, runs, cases: wanted, threshold, baselineRef: opts["baseline-ref"] ?? null },
  baseline,
  cases: reports.map((r, i) => ({ ...r, preset: cases[i].meta?.preset, baselineRows: cases[i].baselineRows })),
  slowdowns,
};

const busy = Math.max(machine.load1, load1End) > machine.cores * 0.5;
const md = [
  `# Frameloom benchmark, ${latest.date.slice(0, 16).replace("T", " ")} UTC`,
  "",
  `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGb} GB, node ${machine.node}; load ${machine.load1} → ${load1End}` +
    `${busy ? " (busy: contended figures)" : ""}. Git ${gitInfo.sha?.slice(0, 10) ?? "?"}${gitInfo.dirty ? " + uncommitted changes" : ""}. ` +
    `${runs} run(s) per row, ${opts.full ? "full" : "default"} set, ${Math.round(latest.wallMs / 1000)} s.`,
  "",
  `Baseline: ${baseline.note}.`,
  "",
  formatMarkdownTable(reports),
  "",
  ...(ref
    ? ["Baseline side, same run:", "", formatMarkdownTable(cases.map((c) => report(c, c.baselineRows, undefined))), ""]
    : []),
  `fps: frames / wall of render(), set-up included, median (min–max). TTFF: render() call to first frame. ms/frame: perfStages / frames (stages overlap when streaming). ` +
    `RSS: whole process tree, shared pages per process. Ratio: fps / baseline fps; SLOWER below ${(1 - threshold).toFixed(2)}.`,
  ...(slowdowns.length ? ["", ...slowdowns] : []),
  "",
].join("\n");

mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, "latest.json"), JSON.stringify(latest, null, 2) + "\n");
writeFileSync(path.join(resultsDir, "latest.md"), md);
process.stdout.write(md);
log(`bench: wrote ${path.relative(process.cwd(), path.join(resultsDir, "latest.json"))} and latest.md`);
if (baseline.kind !== "same-run") log(`bench: baseline ${baseline.note}`);

if (opts["write-baseline"]) {
  const file = {
    version: 1,
    machine: { ...machine, load1End, date: latest.date, gitSha: gitInfo.sha, dirty: gitInfo.dirty },
    options: { full: opts.full, runs },
    note: "Written by `npm run bench -- --write-baseline`. Figures from another run or machine are indicative only.",
    cases: Object.fromEntries(
      reports.map((r) => [
        r.id,
        {
          label: r.label,
          width: r.width,
          height: r.height,
          frames: r.frames,
          rows: r.rows.map(({ runs: _runs, ...row }) => row),
        },
      ]),
    ),
  };
  writeFileSync(baselineFile, JSON.stringify(file, null, 2) + "\n");
  log(`bench: wrote ${path.relative(process.cwd(), baselineFile)}`);
}
for (const line of slowdowns) log(line);
if (slowdowns.length && opts["fail-on-slowdown"]) process.exitCode = 1;
