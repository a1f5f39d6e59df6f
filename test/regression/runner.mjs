/**
 * The regression runner library: render a fixture into a temp dir, check its expectations, compare it
 * with the golden (`@frameloom/compare`), or (update) replace the golden. run.mjs is the CLI over it;
 * test/regression.e2e.test.ts drives it from vitest.
 */
import { cp, mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { render } from "@frameloom/cli";
import { PRESETS, requestedPreset } from "@frameloom/kernel";
import { checkExpectations } from "./expectations.mjs";
import { REPO, rel } from "./fixtures.mjs";
import { makeMedia } from "../fixtures/make-media.mjs";

/**
 * @typedef {import("./fixtures.mjs").Fixture} Fixture
 * @typedef {import("./expectations.mjs").ExpectationResult} ExpectationResult
 * @typedef {{
 *   pass: boolean, failures: string[],
 *   video: { minPsnr: number, meanPsnr: number, failedCheckpoints: number, checkpoints: unknown[] } | null,
 *   audio: { present: string, correlation: number, lagWindows: number } | null
 * }} CompareResultLike  the parts of @frameloom/compare's CompareResult the runner reads
 * @typedef {{
 *   name: string, pass: boolean, failures: string[], notes: string[], ms: number, output: string | null,
 *   expectations: ExpectationResult[], compare: CompareResultLike | null,
 *   updated?: { written: boolean, previous: CompareResultLike | null, bytes: number },
 *   capture?: unknown
 * }} FixtureResult  capture: the render summary's `capture` report (browser, method, frames reused), null when the build has none
 */

/** @type {Promise<(a: string, b: string, o?: object) => Promise<CompareResultLike>> | null} */
let compareModule = null;

/** `compare` from @frameloom/compare (its built dist), loaded on first use. */
export function loadCompare() {
  compareModule ??= (async () => {
    try {
      return (await import("@frameloom/compare")).compare;
    } catch (first) {
      // The workspace link may not exist yet (npm install not re-run since packages/compare appeared).
      const dist = path.join(REPO, "packages/compare/dist/index.js");
      if (existsSync(dist)) return (await import(pathToFileURL(dist).href)).compare;
      throw new Error(`@frameloom/compare is not built (${/** @type {Error} */ (first).message}); run \`npx turbo run build --filter=@frameloom/compare\``, { cause: first });
    }
  })();
  compareModule.catch(() => {
    compareModule = null;
  });
  return compareModule;
}

/** The preset a fixture's renderConfig asks for (before HDR auto-detection) and the format it writes. @param {Fixture} fx */
export function outputFormat(fx) {
  const rc = fx.meta.renderConfig;
  const name = requestedPreset(/** @type {any} */ ({ input: ".", output: ".", preset: rc.preset, format: rc.format, quality: rc.quality ?? "high" }));
  const preset = PRESETS[name];
  if (!preset) throw new Error(`${rel(fx.metaFile)}: field "renderConfig.preset" names an unknown preset "${name}" (presets: ${Object.keys(PRESETS).join(", ")})`);
  return preset.encode.format;
}

/** Output name inside a render dir and inside output/: `output.<ext>`, or `frames/` for png-sequence. @param {Fixture} fx */
export function outputName(fx) {
  const format = outputFormat(fx);
  return format === "png-sequence" ? "frames" : `output.${format}`;
}

/** The golden's path (it may not exist yet). @param {Fixture} fx */
export const goldenPath = (fx) => path.join(fx.outputDir, outputName(fx));

/**
 * @typedef {{ browser?: string, captureMethod?: "auto" | "beginframe" | "screenshot", frameReuse?: boolean }} CaptureOverrides
 *   capture options that run.mjs (`--browser`, `--capture-method`, `--no-frame-reuse`) puts into
 *   every fixture's render, over whatever the fixture's renderConfig says
 */

/** The capture override keys, and only those, of `overrides` (undefined values dropped). @param {CaptureOverrides} [overrides] */
export function captureOverrides(overrides = {}) {
  /** @type {CaptureOverrides} */
  const o = {};
  if (overrides.browser !== undefined) o.browser = overrides.browser;
  if (overrides.captureMethod !== undefined) o.captureMethod = overrides.captureMethod;
  if (overrides.frameReuse !== undefined) o.frameReuse = overrides.frameReuse;
  return o;
}

/**
 * render() options for a fixture (COMPOSITION.md §7: quality `high` unless the config names a preset
 * or quality; `hdr: false` forces SDR, `true` forces HDR), then the capture overrides, if any.
 * @param {Fixture} fx
 * @param {string} output
 * @param {AbortSignal} [signal]
 * @param {CaptureOverrides} [overrides]
 */
export function renderOptions(fx, output, signal, overrides) {
  const rc = fx.meta.renderConfig;
  /** @type {Record<string, unknown>} */
  const o = { input: fx.srcDir, output, workers: rc.workers ?? 1 };
  if (rc.preset) o.preset = rc.preset;
  if (rc.format) o.format = rc.format;
  if (rc.quality) o.quality = rc.quality;
  else if (!rc.preset) o.quality = "high";
  if (rc.fps !== undefined) o.fps = rc.fps;
  if (rc.frames) o.frames = rc.frames;
  if (rc.crf !== undefined) o.crf = rc.crf;
  if (rc.variables) o.variables = rc.variables;
  if (rc.hdr !== undefined) o.hdr = rc.hdr === true ? "hdr" : rc.hdr === false ? "sdr" : rc.hdr;
  Object.assign(o, captureOverrides(overrides));
  if (signal) o.signal = signal;
  return o;
}

/** Bytes under a file or directory. @param {string} p @returns {Promise<number>} */
export async function sizeOf(p) {
  const info = await stat(p).catch(() => null);
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(p)) total += await sizeOf(path.join(p, entry));
  return total;
}

/** Compare thresholds from meta.json. @param {Fixture} fx */
export function compareOptions(fx) {
  const m = fx.meta;
  return {
    minPsnr: m.minPsnr,
    maxFrameFailures: m.maxFrameFailures,
    minAudioCorrelation: m.minAudioCorrelation,
    maxAudioLagWindows: m.maxAudioLagWindows,
    ...(m.checkpoints ? { checkpoints: m.checkpoints } : {}),
  };
}

/**
 * Runs `fn(dir)` with a fresh temp dir (`flm-rg-XXXXXX` under os.tmpdir()) that is removed
 * afterwards, also on failure. Renders inside it use `<dir>/t` as TMPDIR, so nothing they leave
 * survives either. Names stay short on purpose: Chromium's SingletonSocket path under TMPDIR must
 * fit in 107 bytes, and TMPDIR may itself be nested (the e2e suite runs under its own).
 * @template T
 * @param {(dir: string) => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withTempDir(fn) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "flm-rg-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Renders a fixture to `<dir>/<outputName>` (media made first when missing); TMPDIR points inside
 * `dir` for the render. Resolves with the output path.
 * @param {Fixture} fx
 * @param {string} dir
 * @param {{ signal?: AbortSignal, capture?: CaptureOverrides, onSummary?: (summary: { capture?: unknown }) => void }} [options]
 */
export async function renderFixture(fx, dir, options = {}) {
  await makeMedia({ names: [fx.name] });
  const output = path.join(dir, outputName(fx));
  const work = path.join(dir, "t");
  await mkdir(work, { recursive: true });
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = work;
  try {
    const summary = await render(/** @type {any} */ (renderOptions(fx, output, options.signal, options.capture)));
    options.onSummary?.(summary);
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
  return output;
}

/**
 * Renders and checks one fixture. Without `update`: expectations + comparison with the golden (a
 * missing golden fails). With `update`: expectations must pass, then the new render is compared
 * with the old golden (reported, not gated) and replaces output/.
 * @param {Fixture} fx
 * @param {{ update?: boolean, signal?: AbortSignal, capture?: CaptureOverrides, inspect?: (output: string) => Promise<void> }} [options]
 * @returns {Promise<FixtureResult>}
 */
export async function runFixture(fx, options = {}) {
  const started = performance.now();
  /** @type {FixtureResult} */
  const result = { name: fx.name, pass: false, failures: [], notes: [], ms: 0, output: null, expectations: [], compare: null };
  try {
    await withTempDir(async (dir) => {
      const output = await renderFixture(fx, dir, { ...options, onSummary: (summary) => (result.capture = summary.capture ?? null) });
      result.output = output;
      result.expectations = await checkExpectations(output, fx.meta.expectations);
      for (const e of result.expectations) {
        if (!e.ok) result.failures.push(`expectation ${e.index} (${e.label}): ${e.detail}${e.note ? ` — ${e.note}` : ""}`);
      }
      const golden = goldenPath(fx);
      const hasGolden = existsSync(golden);
      if (hasGolden) {
        try {
          const compare = await loadCompare();
          result.compare = await compare(golden, output, { ...compareOptions(fx), signal: options.signal });
        } catch (error) {
          if (!options.update) throw error;
          result.notes.push(`old golden not compared: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (options.update) {
        const written = result.failures.length === 0;
        if (written) {
          await rm(fx.outputDir, { recursive: true, force: true });
          await mkdir(fx.outputDir, { recursive: true });
          await cp(output, golden, { recursive: true });
        } else {
          result.failures.push(`golden NOT written: the new render fails its expectations`);
        }
        result.updated = { written, previous: result.compare, bytes: written ? await sizeOf(fx.outputDir) : 0 };
      } else if (!hasGolden) {
        result.failures.push(`no golden at ${rel(golden)}: run \`npm run regression -- --update --only ${fx.name}\``);
      } else if (result.compare && !result.compare.pass) {
        for (const f of result.compare.failures) result.failures.push(`compare: ${f}`);
        if (result.compare.failures.length === 0) result.failures.push("compare: failed");
      }
      if (options.inspect) await options.inspect(output);
    });
  } catch (error) {
    result.failures.push(`error: ${error instanceof Error ? error.message : String(error)}`);
  }
  result.output = null; // removed with the temp dir
  result.pass = result.failures.length === 0;
  result.ms = Math.round(performance.now() - started);
  return result;
}

/**
 * Runs fixtures one after another (the machine is small; renders use its cores themselves).
 * @param {Fixture[]} fixtures
 * @param {{ update?: boolean, signal?: AbortSignal, capture?: CaptureOverrides, onResult?: (r: FixtureResult) => void }} [options]
 */
export async function runFixtures(fixtures, options = {}) {
  const results = [];
  for (const fx of fixtures) {
    if (options.signal?.aborted) break;
    const r = await runFixture(fx, options);
    results.push(r);
    options.onResult?.(r);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Table

const COLUMNS = [
  ["fixture", 30],
  ["PSNR min/mean", 15],
  ["fail cp", 9],
  ["audio corr", 10],
  ["expect", 7],
  ["time", 7],
  ["result", 8],
];

const pad = (/** @type {string} */ s, /** @type {number} */ n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));
export const psnrText = (/** @type {number} */ v) => (v === Infinity ? "inf" : Number.isFinite(v) ? v.toFixed(1) : "-");

export function tableHeader() {
  const head = COLUMNS.map(([name, w]) => pad(String(name), Number(w))).join(" ");
  return `${head}\n${"-".repeat(head.length)}`;
}

/** One table row, plus indented failure lines (and, for --update, the old-vs-new line). @param {FixtureResult} r */
export function tableRow(r) {
  const v = r.compare?.video ?? null;
  const a = r.compare?.audio ?? null;
  const ok = r.expectations.filter((e) => e.ok).length;
  const cells = [
    r.name,
    v ? `${psnrText(v.minPsnr)}/${psnrText(v.meanPsnr)}` : "-",
    v ? `${v.failedCheckpoints}/${v.checkpoints.length}` : "-",
    a ? (a.present === "both" ? a.correlation.toFixed(3) : a.present === "none" ? "no audio" : a.present) : "-",
    `${ok}/${r.expectations.length}`,
    `${(r.ms / 1000).toFixed(1)}s`,
    r.updated ? (r.updated.written ? "UPDATED" : "REFUSED") : r.pass ? "PASS" : "FAIL",
  ];
  const lines = [COLUMNS.map(([, w], i) => pad(cells[i], Number(w))).join(" ")];
  if (r.updated?.written) {
    const p = r.updated.previous;
    lines.push(
      p?.video
        ? `    old vs new golden: PSNR min ${psnrText(p.video.minPsnr)} dB, mean ${psnrText(p.video.meanPsnr)} dB, ${p.video.failedCheckpoints} checkpoint(s) below minPsnr${p.audio && p.audio.present !== "none" ? `, audio corr ${p.audio.correlation.toFixed(3)}` : ""}${p.pass ? "" : ` — CHANGED: ${p.failures.join("; ")}`}; ${(r.updated.bytes / 1024).toFixed(0)} KiB written`
        : `    new golden (there was none${p ? " comparable" : ""}); ${(r.updated.bytes / 1024).toFixed(0)} KiB written`,
    );
  }
  for (const n of r.notes) lines.push(`    · ${n}`);
  for (const f of r.failures) lines.push(`    ✗ ${f}`);
  return lines.join("\n");
}
