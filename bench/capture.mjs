#!/usr/bin/env node
// Capture speed, old path against new, in one run (issue 9: capture twice as fast):
//
//  (a) raw single-page rate of each capture method, seek + capture with raw CDP, no encoder: the
//      ceiling a route can reach. Screenshot (Page.captureScreenshot JPEG q95, optimizeForSpeed) on
//      the system Chromium and on the @sparticuz/chromium headless shell; BeginFrame on the shell
//      (launched with the BeginFrame flags, HeadlessExperimental.enable, then per frame seek +
//      HeadlessExperimental.beginFrame { frameTimeTicks (monotonic), interval 1000/30, screenshot
//      JPEG q95 }; a frame without damage repeats the previous bytes). Per method: fps, ms/frame,
//      KB/frame, CPU s/frame (this process + the browser tree), distinct frames, frames without
//      damage, and which frame of the reference (the system screenshot, else the shell's) a mid
//      frame matches best (PSNR against the reference's frames i-1, i, i+1: "+0" = it shows the
//      frame it was seeked to).
//  (b) end-to-end renders through the Node API render() of @frameloom/cli, each in a fresh process
//      (bench/lib/run-one.mjs: this tree's benchmark() around one render), for each browser
//      (system, shell) × method (screenshot, beginframe; no beginframe on system) × route (streaming,
//      disk) × workers (1, auto), frame reuse on (the default), on two fixtures of bench/fixtures.mjs:
//      "animated" (the 1080p GSAP text page, moving throughout) and "hold-half" (the same page, still
//      for the second half). Plus, per fixture, the OLD PATH: browser system, capture-method
//      screenshot, no frame reuse, route streaming, workers auto (Frameloom before issue 9).
//      Per config: fps (frames / wall of render(), set-up included), wall s, time to first frame
//      (render() call to the first progress event with a frame done), steady fps after it, CPU s per
//      frame of the whole process tree (node, browsers, ffmpeg), frames reused (the summary's
//      `capture` report; "n/a" when the build gives none), and what the report says was used.
//  (c) ratios: fps against the old path of the same fixture, measured in the same run (and its CPU
//      per frame against the old path's), and hold-half fps against the same config on "animated".
//  (d) the encoder alone: the "animated" fixture's frames, captured once (JPEG q95, as the capture
//      stage makes them), written to disk, then encoded by ffmpeg with the standard preset's own
//      arguments (buildFfmpegArgs of @frameloom/stage-encode), nothing else running: its wall and
//      CPU are a floor no render of that fixture at that preset goes below on this machine. Set
//      against half the old path's wall (what "2× the old path" needs), in the same run.
//  (e) one JSON line last on stdout (everything above, machine and options).
//
// Usage: node bench/capture.mjs [--quick] [--frames N] [--size WxH] [--raw-frames N] [--runs N]
//          [--only KEY=V1,V2]… [--timeout S]
//   --quick        640x360, 20 frames (raw: 20): to try the script, not to measure
//   --frames N     frames per end-to-end render (default 150 = 5 s at 30 fps)
//   --size WxH     composition size (default 1920x1080)
//   --raw-frames N frames of each raw loop, after 5 warm-up frames (default 90)
//   --runs N       N rounds, interleaved (round 1 in order, round 2 reversed, …); figures are medians.
//                  An even N gives every config the same mean position in the run (with 1, the old
//                  path of each fixture always renders first, right after the warm-up)
//   --only K=V,…   filters, repeatable: sections=raw,e2e,encoder  browsers=system,shell[,auto,PATH]
//                  methods=screenshot,beginframe[,auto]  routes=streaming,disk[,sequential]
//                  workers=1,auto[,N]  fixtures=animated,hold-half; the old path always runs for
//                  each selected fixture (the ratios need it). `--only raw` = `--only sections=raw`.
//   --timeout S    kill an end-to-end render after S seconds (default 900)
// Executables: resolveBrowser() of @frameloom/stage-capture (what the engine uses); a browser it
// cannot resolve has its rows skipped, with a note. Temp dirs (projects, outputs, each render's
// TMPDIR) live under one dir, removed on every exit path, Ctrl-C included.
// Numbers from a busy machine are not comparable; run it alone (the ratios are same-run, so they
// are the figures to read).
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import puppeteer from "puppeteer-core";
import { chromiumArgs, findFfmpeg } from "@frameloom/shared-helpers";
import * as stageCapture from "@frameloom/stage-capture";
import { buildFfmpegArgs } from "@frameloom/stage-encode";
import { PRESETS } from "@frameloom/kernel";
import { ProcessTreeSampler, machineInfo, median } from "@frameloom/cli";
import { gsapTextProject, holdHalfProject } from "./fixtures.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const runner = path.join(root, "bench/lib/run-one.mjs");
const cli = path.join(root, "packages/cli/dist/index.js");
const FPS = 30;
const INTERVAL_MS = 1000 / FPS;
const WARM_FRAMES = 5;
/** The BeginFrame launch flags the capture stage uses (HyperFrames' BEGINFRAME_ONLY_FLAGS). */
const BEGINFRAME_FLAGS = [...stageCapture.BEGIN_FRAME_ARGS];

// ----- options ----------------------------------------------------------------------------------
const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    frames: { type: "string" },
    size: { type: "string" },
    "raw-frames": { type: "string" },
    runs: { type: "string", default: "1" },
    only: { type: "string", multiple: true, default: [] },
    timeout: { type: "string", default: "900" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opts.help) {
  const text = readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n");
  process.stdout.write(text.slice(1, text.findIndex((l) => l.startsWith("import "))).map((l) => l.replace(/^\/\/ ?/, "")).join("\n") + "\n");
  process.exit(0);
}
function fail(message) {
  process.stderr.write(`bench/capture: ${message}\n`);
  process.exit(2);
}
const positiveInt = (name, text) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`${name}: expected a positive integer, got ${text}`);
  return n;
};
const quick = opts.quick;
const frames = positiveInt("--frames", opts.frames ?? (quick ? "20" : "150"));
const rawFrames = positiveInt("--raw-frames", opts["raw-frames"] ?? (quick ? "20" : "90"));
const runs = positiveInt("--runs", opts.runs);
const timeoutS = positiveInt("--timeout", opts.timeout);
const sizeText = opts.size ?? (quick ? "640x360" : "1920x1080");
const sizeMatch = /^(\d+)x(\d+)$/.exec(sizeText);
if (!sizeMatch) fail(`--size: expected WxH like 1920x1080, got ${sizeText}`);
const width = Number(sizeMatch[1]);
const height = Number(sizeMatch[2]);

const FILTER_DEFAULTS = {
  sections: ["raw", "e2e", "encoder"],
  browsers: ["system", "shell"],
  methods: ["screenshot", "beginframe"],
  routes: ["streaming", "disk"],
  workers: ["1", "auto"],
  fixtures: ["animated", "hold-half"],
};
const FILTER_ALIASES = { section: "sections", browser: "browsers", method: "methods", route: "routes", worker: "workers", fixture: "fixtures" };
const filters = {};
for (const item of opts.only) {
  const [rawKey, list] = item.includes("=") ? [item.slice(0, item.indexOf("=")), item.slice(item.indexOf("=") + 1)] : ["sections", item];
  const key = FILTER_ALIASES[rawKey] ?? rawKey;
  if (!(key in FILTER_DEFAULTS)) fail(`--only ${item}: no filter "${rawKey}" (${Object.keys(FILTER_DEFAULTS).join(", ")})`);
  const values = list.split(",").map((s) => s.trim()).filter(Boolean);
  if (values.length === 0) fail(`--only ${item}: empty list`);
  filters[key] = [...new Set([...(filters[key] ?? []), ...values])];
}
const pick = (key) => filters[key] ?? FILTER_DEFAULTS[key];
const check = (key, allowed, test = (v) => allowed.includes(v)) => {
  for (const v of pick(key)) if (!test(v)) fail(`--only ${key}=${v}: expected ${allowed.join(", ")}`);
};
check("sections", ["raw", "e2e", "encoder"]);
check("methods", ["screenshot", "beginframe", "auto"]);
check("routes", ["streaming", "disk", "sequential"]);
check("workers", ["1", "auto", "N"], (v) => v === "auto" || (Number.isInteger(Number(v)) && Number(v) >= 1));
check("fixtures", ["animated", "hold-half"]);
const sections = pick("sections");
const workersOf = (v) => (v === "auto" ? "auto" : Number(v));
if (!existsSync(cli)) fail("packages/cli/dist is missing: build first (npm run build)");

// ----- temp dirs and exit paths -----------------------------------------------------------------
const work = mkdtempSync(path.join(os.tmpdir(), "frameloom-bench-capture-"));
let child = null;
let openBrowser = null;
let interrupted = false;
let cleaned = false;
/** Fixture projects (bench/fixtures.mjs makes them under os.tmpdir(), outside `work`). */
const projectDirs = new Set();
const track = (dir) => (projectDirs.add(dir), dir);
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const dir of projectDirs) rmSync(dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}
process.on("exit", () => {
  try {
    openBrowser?.process()?.kill("SIGKILL");
  } catch {
    // already gone
  }
  cleanup();
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, async () => {
    if (interrupted) process.exit(130); // second Ctrl-C: now (the exit handler still removes the dirs)
    interrupted = true;
    log(`\n${signal}: stopping, removing ${work}`);
    child?.kill("SIGTERM");
    const browser = openBrowser;
    if (browser) await Promise.race([browser.close().catch(() => {}), sleep(5000)]);
    if (child) await Promise.race([new Promise((resolve) => child?.once("close", resolve)), sleep(15000)]);
    cleanup();
    process.exit(130);
  });
}

/** After a signal: wait (keeping the event loop alive) for the signal handler to clean up and exit. */
const stopping = () => new Promise(() => setInterval(() => {}, 1000));

// ----- helpers ----------------------------------------------------------------------------------
const log = (line = "") => process.stdout.write(`${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());
const round = (x, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
const med = (xs) => {
  const finite = xs.filter((x) => Number.isFinite(x));
  return finite.length ? median(finite) : null;
};
const fmt = (x, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(d));
const errorText = (e) => (e instanceof Error ? e.message : String(e)).split("\n")[0].slice(0, 300);
const withTimeout = (promise, ms, what) =>
  Promise.race([promise, sleep(ms).then(() => Promise.reject(new Error(`${what}: no answer in ${ms / 1000} s`)))]);

/**
 * The executable of a browser setting ("system", "shell", "auto" or a path): { path, source, version }
 * from resolveBrowser() of @frameloom/stage-capture, the engine's own lookup; null (with a note)
 * when it finds none.
 */
async function browserExecutable(which) {
  try {
    const r = await stageCapture.resolveBrowser(which);
    return { path: r.executablePath, source: `resolveBrowser(${JSON.stringify(which)})${r.kind !== which ? `: ${r.kind}` : ""}`, version: r.version };
  } catch (error) {
    notes.add(`resolveBrowser(${JSON.stringify(which)}) failed: ${errorText(error)}`);
    return null;
  }
}

/** PSNR (dB, average over R, G, B) of image a against image b, by ffmpeg's psnr filter. */
function psnr(a, b) {
  const r = spawnSync(findFfmpeg(), ["-hide_banner", "-i", a, "-i", b, "-lavfi", "[0:v]format=rgb24[x];[1:v]format=rgb24[y];[x][y]psnr", "-f", "null", "-"], { encoding: "utf8" });
  const m = /average:([\d.]+|inf)/.exec(r.stderr);
  return m ? (m[1] === "inf" ? Infinity : Number(m[1])) : NaN;
}

const notes = new Set();
const machine = machineInfo();
const startedAt = performance.now();
const fixtureNames = pick("fixtures");
const FIXTURES = {
  animated: { label: "animated throughout", make: () => gsapTextProject({ width, height, duration: frames / FPS }) },
  "hold-half": { label: "animated, then still for the second half", make: () => holdHalfProject({ width, height, duration: frames / FPS }) },
};
const results = {
  bench: "capture",
  version: 2,
  date: new Date().toISOString(),
  machine,
  options: { quick, frames, rawFrames, width, height, runs, filters: Object.fromEntries(Object.keys(FILTER_DEFAULTS).map((k) => [k, pick(k)])) },
  executables: {},
  raw: [],
  e2e: [],
  encoder: null,
  skipped: [],
  notes: [],
};

log(`bench/capture: ${width}x${height} @${FPS}, ${runs} round(s)${quick ? " (quick: not a measurement)" : ""}; ${machine.cpuModel}, ${machine.cores} cores, load ${machine.load1}`);
for (const which of new Set(["system", ...pick("browsers")])) {
  const exe = await browserExecutable(which);
  results.executables[which] = exe;
  if (exe) log(`  ${which.padEnd(6)} ${exe.version}: ${exe.path} (${exe.source})`);
  else log(`  ${which.padEnd(6)} NOT FOUND: its rows are skipped`);
}
log("");

// ----- (a) raw single-page rate -----------------------------------------------------------------
/**
 * One seek + capture loop on one page of a fresh browser: WARM_FRAMES untimed, then `count` timed.
 * Resolves { fps, msPerFrame, kbPerFrame, cpuSPerFrame, distinct, noDamage, frames: Map(i → Buffer) of
 * the frames kept (keep: indices) }.
 */
async function rawLoop({ executablePath, shell, method, project, count, keep }) {
  const compiled = await stageCapture.compileProject(project);
  const server = await stageCapture.startFileServer({ root: compiled.projectDir, entryUrlPath: compiled.entryUrlPath, entryHtml: compiled.html });
  const userDataDir = mkdtempSync(path.join(work, "profile-"));
  const beginFrame = method === "beginframe";
  let args = chromiumArgs(beginFrame ? BEGINFRAME_FLAGS : []);
  if (shell) args = args.filter((a) => !a.startsWith("--headless"));
  let browser = null;
  let warmLoop = null;
  const warm = { running: false, ticks: 0 };
  try {
    browser = await puppeteer.launch({
      executablePath,
      args,
      headless: shell ? "shell" : true,
      defaultViewport: null,
      userDataDir,
      protocolTimeout: 60000,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    openBrowser = browser;
    // BeginFrame control applies to targets the browser opens after launch (as HyperFrames does it).
    const page = beginFrame ? await browser.newPage() : (await browser.pages())[0];
    const cdp = await page.createCDPSession();
    let ticks = 0;
    if (beginFrame) {
      await cdp.send("HeadlessExperimental.enable");
      // Until the page is ready nothing draws unless frames are begun: tick without display updates.
      warm.running = true;
      warmLoop = (async () => {
        while (warm.running) {
          await cdp.send("HeadlessExperimental.beginFrame", { frameTimeTicks: ticks, interval: INTERVAL_MS, noDisplayUpdates: true }).catch(() => {});
          ticks += INTERVAL_MS;
          warm.ticks++;
          await sleep(INTERVAL_MS);
        }
      })();
    }
    await page.setViewport({ width, height });
    await page.evaluateOnNewDocument(stageCapture.pageRuntimeScript({ fps: compiled.fps, compositionId: compiled.id, width, height }));
    await withTimeout(page.goto(server.entryUrl, { waitUntil: "load" }), 60000, "page load");
    await withTimeout(page.evaluate("window.__frameloom.ready()"), 60000, "window.__frameloom.ready()");
    if (warmLoop) {
      warm.running = false;
      await warmLoop;
    }
    let previous = null;
    let noDamage = 0;
    const shot = async (i) => {
      await cdp.send("Runtime.evaluate", { expression: `window.__frameloom.seek(${i / FPS})`, awaitPromise: true });
      if (beginFrame) {
        const begin = async () => {
          const r = await cdp.send("HeadlessExperimental.beginFrame", { frameTimeTicks: ticks, interval: INTERVAL_MS, screenshot: { format: "jpeg", quality: 95 } });
          ticks += INTERVAL_MS;
          return r;
        };
        let r = await begin();
        if (!r.screenshotData) {
          noDamage++;
          if (previous) return previous;
          // Nothing to repeat yet (the very first frame showed no damage): begin more frames.
          for (let retry = 0; retry < 3 && !r.screenshotData; retry++) r = await begin();
          if (!r.screenshotData) throw new Error(`beginFrame gave no screenshot for frame ${i} (hasDamage ${r.hasDamage}) and there is no previous frame`);
        }
        return (previous = Buffer.from(r.screenshotData, "base64"));
      }
      const r = await cdp.send("Page.captureScreenshot", { format: "jpeg", quality: 95, optimizeForSpeed: true });
      return (previous = Buffer.from(r.data, "base64"));
    };
    for (let i = 0; i < WARM_FRAMES; i++) await shot(i);
    noDamage = 0;
    const hashes = new Set();
    const kept = new Map();
    let bytes = 0;
    const sampler = new ProcessTreeSampler({ intervalMs: 100 });
    sampler.start();
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      if (interrupted) throw new Error("interrupted");
      const buf = await shot(i);
      bytes += buf.length;
      hashes.add(createHash("md5").update(buf).digest("hex"));
      if (keep.includes(i)) kept.set(i, buf);
    }
    const ms = performance.now() - t0;
    const usage = sampler.stop();
    return {
      fps: round(count / (ms / 1000)),
      msPerFrame: round(ms / count, 1),
      kbPerFrame: Math.round(bytes / count / 1024),
      cpuSPerFrame: round(usage.cpu.totalMs / 1000 / count, 3),
      distinct: hashes.size,
      noDamage,
      warmTicks: warm.ticks,
      version: await browser.version(),
      frames: kept,
    };
  } finally {
    warm.running = false;
    await warmLoop?.catch(() => {});
    if (browser) await Promise.race([browser.close().catch(() => {}), sleep(10000)]);
    try {
      browser?.process()?.kill("SIGKILL");
    } catch {
      // gone
    }
    openBrowser = null;
    await server.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

if (sections.includes("raw")) {
  const RAW = [
    { id: "system-screenshot", browser: "system", method: "screenshot" },
    { id: "shell-screenshot", browser: "shell", method: "screenshot" },
    { id: "shell-beginframe", browser: "shell", method: "beginframe" },
  ].filter((m) => pick("browsers").includes(m.browser) && pick("methods").includes(m.method));
  const rows = [];
  for (const m of RAW) {
    const exe = results.executables[m.browser];
    if (!exe) results.skipped.push({ section: "raw", id: m.id, reason: `no ${m.browser} executable` });
    else rows.push({ ...m, executablePath: exe.path, samples: [], errors: [] });
  }
  const project = track(gsapTextProject({ width, height, duration: Math.max(rawFrames, WARM_FRAMES) / FPS + 1 }));
  const mid = Math.floor(rawFrames / 2);
  const keep = [mid - 1, mid, mid + 1].filter((i) => i >= 0 && i < rawFrames);
  const kept = {};
  try {
    for (let run = 1; run <= runs; run++) {
      for (const row of run % 2 ? rows : [...rows].reverse()) {
        try {
          const r = await rawLoop({ executablePath: row.executablePath, shell: row.browser === "shell", method: row.method, project, count: rawFrames, keep });
          kept[row.id] ??= r.frames;
          row.version = r.version;
          const { frames: _frames, ...sample } = r;
          row.samples.push(sample);
          log(`  raw round ${run} ${row.id.padEnd(18)} ${r.fps} fps (${r.msPerFrame} ms/frame), ${r.kbPerFrame} KB/frame, ${r.distinct}/${rawFrames} distinct${row.method === "beginframe" ? `, ${r.noDamage} without damage` : ""}`);
        } catch (error) {
          if (interrupted) await stopping();
          row.errors.push(errorText(error));
          log(`  raw round ${run} ${row.id.padEnd(18)} FAILED: ${errorText(error)}`);
        }
      }
    }
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
  // Does a mid frame show the moment it was seeked to? Best PSNR against the reference's i-1, i, i+1.
  const refId = ["system-screenshot", "shell-screenshot"].find((id) => kept[id]) ?? null;
  const ref = refId ? kept[refId] : null;
  const imgDir = path.join(work, "raw-frames");
  mkdirSync(imgDir, { recursive: true });
  const file = (id, i) => {
    const f = path.join(imgDir, `${id}-${i}.jpg`);
    if (!existsSync(f)) writeFileSync(f, kept[id].get(i));
    return f;
  };
  for (const row of rows) {
    const s = row.samples;
    const out = {
      id: row.id,
      browser: row.browser,
      method: row.method,
      executablePath: row.executablePath,
      version: row.version ?? null,
      frames: rawFrames,
      fps: round(med(s.map((x) => x.fps))),
      msPerFrame: round(med(s.map((x) => x.msPerFrame)), 1),
      kbPerFrame: med(s.map((x) => x.kbPerFrame)),
      cpuSPerFrame: round(med(s.map((x) => x.cpuSPerFrame)), 3),
      distinct: s.length ? Math.min(...s.map((x) => x.distinct)) : null,
      noDamage: s.length ? Math.max(...s.map((x) => x.noDamage)) : null,
      vsSystemScreenshot: null,
      midFrameMd5: kept[row.id]?.has(mid) ? createHash("md5").update(kept[row.id].get(mid)).digest("hex") : null,
      matchesReference: null,
      errors: row.errors,
      samples: s,
    };
    if (ref && kept[row.id] && row.id !== refId && kept[row.id].has(mid)) {
      const scores = keep.filter((i) => ref.has(i)).map((i) => ({ offset: i - mid, db: psnr(file(row.id, mid), file(refId, i)) }));
      const best = scores.filter((x) => Number.isFinite(x.db) || x.db === Infinity).sort((a, b) => b.db - a.db)[0];
      out.matchesReference = { reference: refId, frame: mid, psnrDb: Object.fromEntries(scores.map((x) => [x.offset >= 0 ? `+${x.offset}` : String(x.offset), x.db === Infinity ? "inf" : round(x.db)])), bestOffset: best?.offset ?? null };
    }
    results.raw.push(out);
  }
  const base = results.raw.find((r) => r.id === "system-screenshot" && r.fps);
  for (const r of results.raw) if (base && r.fps) r.vsSystemScreenshot = round(r.fps / base.fps);
  log(`\n(a) raw single page, seek + capture by raw CDP, JPEG q95, ${width}x${height}, ${rawFrames} frames after ${WARM_FRAMES} warm-up, median of ${runs}:`);
  log(`  ${"method".padEnd(18)} ${"fps".padStart(6)} ${"ms/frame".padStart(8)} ${"× system".padStart(8)} ${"KB/frame".padStart(8)} ${"CPU s/f".padStart(7)} ${"distinct".padStart(9)} ${"no damage".padStart(9)}  frame ${mid}: best match in ${refId ?? "the reference"}`);
  for (const r of results.raw) {
    const match = r.matchesReference
      ? `${r.matchesReference.bestOffset === null ? "?" : r.matchesReference.bestOffset >= 0 ? `+${r.matchesReference.bestOffset}` : r.matchesReference.bestOffset} (PSNR ${Object.entries(r.matchesReference.psnrDb).map(([k, v]) => `${k}: ${v}`).join(", ")} dB)`
      : r.id === refId ? "(the reference)" : "-";
    const twin = results.raw.find((o) => o !== r && o.midFrameMd5 && o.midFrameMd5 === r.midFrameMd5 && results.raw.indexOf(o) < results.raw.indexOf(r));
    log(
      `  ${r.id.padEnd(18)} ${fmt(r.fps).padStart(6)} ${fmt(r.msPerFrame, 1).padStart(8)} ${(r.vsSystemScreenshot === null ? "-" : `${fmt(r.vsSystemScreenshot)}×`).padStart(8)} ${String(r.kbPerFrame ?? "-").padStart(8)} ${fmt(r.cpuSPerFrame, 3).padStart(7)} ${(r.distinct === null ? "-" : `${r.distinct}/${rawFrames}`).padStart(9)} ${(r.method === "beginframe" ? String(r.noDamage ?? "-") : "").padStart(9)}  ${match}${twin ? `, same bytes as ${twin.id}` : ""}` +
        (r.errors.length ? `  FAILED ${r.errors.length}×: ${r.errors[0]}` : ""),
    );
  }
  log(`  CPU s/f: this process + the browser's process tree over the timed loop. "+0": the frame matches the reference frame it was seeked to.`);
  log("");
}

// ----- (b) end-to-end renders -------------------------------------------------------------------
const OLD_PATH = { id: "old-path", browser: "system", method: "screenshot", reuse: false, route: "streaming", workers: "auto", old: true };
const configId = (c) => `${c.browser}/${c.method}/${c.route}/w${c.workers}${c.reuse ? "" : "/no-reuse"}`;
function e2eConfigs() {
  const list = [OLD_PATH];
  for (const browser of pick("browsers")) {
    if (browser !== "auto" && !results.executables[browser]) {
      results.skipped.push({ section: "e2e", browser, reason: `no ${browser} executable` });
      continue;
    }
    for (const method of pick("methods")) {
      if (browser === "system" && method === "beginframe") {
        results.skipped.push({ section: "e2e", browser, method, reason: "the system Chromium has no BeginFrame capture" });
        continue;
      }
      for (const route of pick("routes")) {
        for (const w of pick("workers")) {
          const c = { browser, method, reuse: true, route, workers: workersOf(w), old: false };
          list.push({ ...c, id: configId(c) });
        }
      }
    }
  }
  return list;
}

/** One render in a fresh process (bench/lib/run-one.mjs) with its own TMPDIR; resolves its JSON line. */
function runOne(project, config, extra = {}) {
  const tmp = mkdtempSync(path.join(work, "t-"));
  const job = {
    cli,
    project,
    route: config.route,
    workers: config.workers,
    renderOptions: { browser: config.browser, captureMethod: config.method, frameReuse: config.reuse },
    ...extra,
  };
  return new Promise((resolve, reject) => {
    if (interrupted) return reject(new Error("interrupted"));
    child = spawn(process.execPath, [runner, JSON.stringify(job)], { cwd: root, env: { ...process.env, TMPDIR: tmp }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => child?.kill("SIGTERM"), timeoutS * 1000);
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      child = null;
      rmSync(tmp, { recursive: true, force: true });
      let msg = null;
      try {
        msg = JSON.parse(out.trim().split("\n").pop() ?? "");
      } catch {
        // no JSON line: reported below
      }
      if (code === 0 && msg && !msg.error && msg.run) resolve(msg);
      else reject(new Error(`${msg?.error ?? (msg && !msg.run ? "no run (skipped by benchmark())" : `exit ${code ?? signal}`)}${err ? ` | ${err.trim().split("\n").slice(-3).join(" | ")}` : ""}`));
    });
  });
}

/** What the summary's capture report says against what the config asked for. */
function captureNotes(config, capture) {
  if (!capture) return [];
  const out = [];
  if ((config.browser === "system" || config.browser === "shell") && capture.browser !== config.browser) out.push(`ran on ${capture.browser}, not ${config.browser}`);
  if (config.method !== "auto" && capture.method !== config.method) out.push(`method ${capture.method}, not ${config.method}${capture.methodNote ? ` (${capture.methodNote})` : ""}`);
  if (!config.reuse && capture.framesReused > 0) out.push(`${capture.framesReused} frames reused with --no-frame-reuse`);
  return out;
}

if (sections.includes("e2e")) {
  const configs = e2eConfigs();
  const projects = {};
  const rows = [];
  try {
    for (const name of fixtureNames) {
      projects[name] = track(FIXTURES[name].make());
      for (const c of configs) rows.push({ fixture: name, ...c, samples: [], errors: [] });
    }
    // Untimed warm-up, a few frames per browser in use: the first render of a browser reads its
    // files from a cold disk cache (the shell is ~200 MB) and would count that against one config.
    const warmBrowsers = [...new Set(configs.map((c) => c.browser))];
    for (const browser of warmBrowsers) {
      const config = configs.find((c) => c.browser === browser);
      try {
        const r = await runOne(projects[fixtureNames[0]], config, { frames: "0-4" });
        log(`  warm-up (not counted) ${browser}: ${r.run.fps} fps over ${r.run.frames} frames${r.capture ? `, ${r.capture.browser} ${r.capture.method}` : ""}`);
      } catch (error) {
        if (interrupted) await stopping();
        log(`  warm-up ${browser} FAILED: ${errorText(error)}`);
      }
    }
    for (let run = 1; run <= runs; run++) {
      for (const row of run % 2 ? rows : [...rows].reverse()) {
        try {
          const r = await runOne(projects[row.fixture], row);
          const x = r.run;
          const sample = {
            fps: x.fps,
            wallS: round(x.wallMs / 1000),
            ttffS: x.ttffMs === null ? null : round(x.ttffMs / 1000),
            steadyFps: x.ttffMs !== null && x.frames > 1 && x.wallMs > x.ttffMs ? round((x.frames - 1) / ((x.wallMs - x.ttffMs) / 1000)) : null,
            cpuSPerFrame: round(x.cpuMs / 1000 / x.frames, 3),
            peakRssMb: Math.round(x.peakRssBytes / 1048576),
            frames: x.frames,
            workersUsed: x.workersUsed,
            routeUsed: x.routeUsed,
            capture: r.capture,
            warnings: x.warnings,
          };
          if (!r.capture) notes.add("the render summary has no `capture` report (the capture engine is not in this build?): browser, capture method and frame reuse may have had no effect, frames reused are n/a");
          row.samples.push(sample);
          const cap = r.capture ? `, ${r.capture.browser} ${r.capture.method}, ${r.capture.framesReused} reused` : "";
          log(`  round ${run}/${runs} ${row.fixture.padEnd(9)} ${(row.old ? "OLD PATH" : row.id).padEnd(38)} ${fmt(x.fps)} fps, ${fmt(sample.wallS)} s, first frame ${fmt(sample.ttffS)} s, ${fmt(sample.cpuSPerFrame, 3)} CPU s/frame, ${x.workersUsed} worker(s), ${x.routeUsed}${cap}`);
        } catch (error) {
          if (interrupted) await stopping();
          row.errors.push(errorText(error));
          log(`  round ${run}/${runs} ${row.fixture.padEnd(9)} ${(row.old ? "OLD PATH" : row.id).padEnd(38)} FAILED: ${errorText(error)}`);
        }
      }
    }
  } finally {
    for (const dir of Object.values(projects)) rmSync(dir, { recursive: true, force: true });
  }

  for (const row of rows) {
    const s = row.samples;
    const caps = s.map((x) => x.capture).filter(Boolean);
    const last = caps.at(-1) ?? null;
    row.result = {
      fixture: row.fixture,
      id: row.id,
      old: row.old,
      browser: row.browser,
      method: row.method,
      frameReuse: row.reuse,
      route: row.route,
      workers: row.workers,
      runs: s.length,
      frames: s[0]?.frames ?? null,
      fps: round(med(s.map((x) => x.fps))),
      wallS: round(med(s.map((x) => x.wallS))),
      ttffS: round(med(s.map((x) => x.ttffS))),
      steadyFps: round(med(s.map((x) => x.steadyFps))),
      cpuSPerFrame: round(med(s.map((x) => x.cpuSPerFrame)), 3),
      peakRssMb: s.length ? Math.max(...s.map((x) => x.peakRssMb)) : null,
      workersUsed: [...new Set(s.map((x) => x.workersUsed))],
      routeUsed: s[0]?.routeUsed ?? null,
      framesReused: caps.length ? med(caps.map((c) => c.framesReused)) : null,
      framesCaptured: caps.length ? med(caps.map((c) => c.framesCaptured)) : null,
      capture: last ? { browser: last.browser, executablePath: last.executablePath, version: last.version, method: last.method, methodNote: last.methodNote ?? null } : null,
      captureNotes: [...new Set(caps.flatMap((c) => captureNotes(row, c)))],
      vsOld: null,
      cpuVsOld: null,
      holdVsAnimated: null,
      errors: row.errors,
      samples: s,
    };
  }
  // (c) ratios, same run: against the old path of the fixture; hold-half against the same config animated.
  for (const row of rows) {
    const r = row.result;
    const old = rows.find((x) => x.old && x.fixture === row.fixture)?.result;
    if (old?.fps && r.fps) r.vsOld = round(r.fps / old.fps);
    if (old?.cpuSPerFrame && r.cpuSPerFrame) r.cpuVsOld = round(r.cpuSPerFrame / old.cpuSPerFrame);
    if (row.fixture === "hold-half") {
      const anim = rows.find((x) => x.fixture === "animated" && x.id === row.id)?.result;
      if (anim?.fps && r.fps) r.holdVsAnimated = round(r.fps / anim.fps);
    }
    results.e2e.push(r);
  }

  log(`\n(b, c) end to end, render() of @frameloom/cli in a fresh process per render (set-up included), ${frames} frames ${width}x${height} @${FPS}, preset standard, median of ${runs}:`);
  const header = ["fixture", "browser", "method", "reuse", "route", "workers", "fps", "wall s", "TTFF s", "steady", "CPU s/f", "reused", "× old", "CPU × old", "hold/anim", "notes"];
  const table = results.e2e.map((r) => [
    r.fixture,
    r.old ? "system (OLD PATH)" : r.browser,
    r.method,
    r.frameReuse ? "on" : "off",
    r.route,
    `${r.workers}${r.workersUsed.length && String(r.workersUsed.join("/")) !== String(r.workers) ? ` → ${r.workersUsed.join("/")}` : ""}`,
    fmt(r.fps),
    fmt(r.wallS),
    fmt(r.ttffS),
    fmt(r.steadyFps),
    fmt(r.cpuSPerFrame, 3),
    r.framesReused === null ? (r.runs ? "n/a" : "-") : `${r.framesReused}/${r.frames}`,
    r.old ? (r.fps ? "1" : "-") : r.vsOld === null ? "-" : `${fmt(r.vsOld)}×`,
    r.old ? (r.cpuSPerFrame ? "1" : "-") : r.cpuVsOld === null ? "-" : `${fmt(r.cpuVsOld)}×`,
    r.holdVsAnimated === null ? "" : `${fmt(r.holdVsAnimated)}×`,
    [r.capture && r.browser !== r.capture.browser ? `ran ${r.capture.browser}` : "", ...r.captureNotes, r.errors.length ? `FAILED ${r.errors.length}×: ${r.errors[0]}` : ""].filter(Boolean).join("; "),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const numeric = new Set([6, 7, 8, 9, 10, 11, 12, 13, 14]);
  const line = (cells) => cells.map((c, i) => (i === cells.length - 1 ? c : numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  log(line(header));
  log(widths.map((w, i) => "-".repeat(i === widths.length - 1 ? 5 : w)).join("  "));
  for (const row of table) log(line(row));
  log(`fps: frames / wall of render(); TTFF: render() call to the first frame done; steady: (frames - 1) / (wall - TTFF); CPU s/f: CPU seconds per frame of the whole`);
  log(`process tree (node, browsers, ffmpeg); reused: frames the capture repeated because nothing changed (the summary's capture report); × old: fps / the old path's`);
  log(`fps on the same fixture, this run (old path = system Chromium, screenshot, no frame reuse, streaming, workers auto); CPU × old: CPU s/f / the old path's;`);
  log(`hold/anim: hold-half fps / the same config's fps on "animated".`);
  log("");
  for (const name of fixtureNames) {
    const mine = results.e2e.filter((r) => r.fixture === name && r.fps);
    const old = mine.find((r) => r.old);
    const best = mine.filter((r) => !r.old).sort((a, b) => b.fps - a.fps)[0];
    if (old && best) log(`${name}: best ${best.id} ${best.fps} fps, ${best.vsOld}× the old path (${old.fps} fps, ${old.wallS} s → ${best.wallS} s); CPU per frame ${best.cpuVsOld}× the old path's`);
    else log(`${name}: no comparison (${old ? "no new config finished" : "the old path did not finish"})`);
  }
}

// ----- (d) the encoder alone -------------------------------------------------------------------
if (sections.includes("encoder")) {
  const source = results.executables.shell ? { browser: "shell", method: "beginframe" } : results.executables.system ? { browser: "system", method: "screenshot" } : null;
  if (!source) results.skipped.push({ section: "encoder", reason: "no browser to capture the frames with" });
  else {
    const project = track(gsapTextProject({ width, height, duration: frames / FPS }));
    const dir = path.join(work, "encoder-frames");
    mkdirSync(dir, { recursive: true });
    const samples = [];
    const errors = [];
    let args = null;
    try {
      const all = Array.from({ length: frames }, (_, i) => i);
      const shot = await rawLoop({ executablePath: results.executables[source.browser].path, shell: source.browser === "shell", method: source.method, project, count: frames, keep: all });
      for (const i of all) writeFileSync(path.join(dir, `${String(i).padStart(6, "0")}.jpg`), shot.frames.get(i));
      const output = path.join(work, "encoder-out.mp4");
      args = buildFfmpegArgs({
        width,
        height,
        fps: { num: FPS, den: 1 },
        input: { kind: "files", encoding: "jpeg", pattern: path.join(dir, "%06d.jpg"), startNumber: 0 },
        frames,
        outputPath: output,
        settings: PRESETS.standard.encode,
      });
      for (let run = 1; run <= runs; run++) {
        const sampler = new ProcessTreeSampler({ intervalMs: 50 });
        sampler.start();
        const t0 = performance.now();
        const code = await new Promise((resolve, reject) => {
          child = spawn(findFfmpeg(), args, { stdio: ["ignore", "ignore", "pipe"] });
          let err = "";
          child.stderr.on("data", (d) => (err = (err + d).slice(-2000)));
          child.on("error", reject);
          child.on("close", (c, signal) => {
            child = null;
            resolve(c === 0 ? 0 : `${c ?? signal}: ${err.trim().split("\n").pop()}`);
          });
        });
        const wallS = (performance.now() - t0) / 1000;
        const usage = sampler.stop();
        if (code !== 0) throw new Error(`ffmpeg exited ${code}`);
        samples.push({ wallS: round(wallS), cpuSPerFrame: round(usage.cpu.totalMs / 1000 / frames, 3) });
        log(`  encoder round ${run}/${runs}: ${fmt(wallS)} s, ${fmt(usage.cpu.totalMs / 1000 / frames, 3)} CPU s/frame`);
      }
    } catch (error) {
      if (interrupted) await stopping();
      errors.push(errorText(error));
      log(`  encoder FAILED: ${errorText(error)}`);
    } finally {
      rmSync(project, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
    const old = results.e2e.find((r) => r.fixture === "animated" && r.old && r.wallS);
    const best = results.e2e.filter((r) => r.fixture === "animated" && !r.old && r.wallS).sort((a, b) => a.wallS - b.wallS)[0];
    const wallS = round(med(samples.map((x) => x.wallS)));
    results.encoder = {
      fixture: "animated",
      frames,
      framesFrom: source,
      preset: "standard",
      args,
      wallS,
      cpuSPerFrame: round(med(samples.map((x) => x.cpuSPerFrame)), 3),
      oldPathWallS: old?.wallS ?? null,
      twiceOldPathWallS: old ? round(old.wallS / 2) : null,
      bestWallS: best?.wallS ?? null,
      errors,
      samples,
    };
    const e = results.encoder;
    log(`\n(d) the encoder alone: the animated fixture's ${frames} frames (JPEG q95 from ${source.browser} ${source.method}) from disk, ffmpeg with the standard preset's arguments, median of ${runs}:`);
    if (e.wallS !== null) {
      log(`  ${fmt(e.wallS)} s wall, ${fmt(e.cpuSPerFrame, 3)} CPU s/frame`);
      if (e.oldPathWallS !== null) {
        log(`  2× the old path (${fmt(e.oldPathWallS)} s) means ${fmt(e.twiceOldPathWallS)} s for the whole render; the encoder alone takes ${fmt(e.wallS)} s (${fmt(e.wallS / e.twiceOldPathWallS)}× that)${e.bestWallS !== null ? `; the best config took ${fmt(e.bestWallS)} s (${fmt(e.bestWallS / e.wallS)}× the encoder alone)` : ""}`);
      }
    }
    log("");
  }
}

for (const note of notes) log(`NOTE: ${note}`);
results.notes = [...notes];
results.wallS = round((performance.now() - startedAt) / 1000, 1);
results.load1End = round(os.loadavg()[0]);
const failures = [...results.raw, ...results.e2e, ...(results.encoder ? [results.encoder] : [])].filter((r) => r.errors.length).length;
log(`\nwhole script ${results.wallS} s, load ${machine.load1} → ${results.load1End}${Math.max(machine.load1, results.load1End) > machine.cores * 0.5 ? " (busy machine: contended figures)" : ""}${failures ? `; ${failures} row(s) with failures` : ""}`);
cleanup();
log(JSON.stringify(results));
if (failures) process.exitCode = 1;
