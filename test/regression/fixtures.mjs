/**
 * Fixture discovery and meta.json validation (layout and fields: test/fixtures/README.md). Every error
 * names the file and the field.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { validateExpectation } from "./expectations.mjs";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const FIXTURES_DIR = path.join(REPO, "test/fixtures");

/**
 * @typedef {{
 *   fps?: number | string, preset?: string, format?: string, quality?: string, workers?: number | "auto",
 *   hdr?: boolean | "auto" | "hdr" | "sdr", variables?: Record<string, unknown>, frames?: string, crf?: number
 * }} RenderConfig
 * @typedef {{
 *   name: string, description: string, tags: string[], minPsnr: number, maxFrameFailures: number,
 *   minAudioCorrelation: number, maxAudioLagWindows: number, checkpoints?: number, renderConfig: RenderConfig,
 *   expectations: import("./expectations.mjs").Expectation[]
 * }} Meta
 * @typedef {{ name: string, dir: string, srcDir: string, outputDir: string, metaFile: string, meta: Meta }} Fixture
 */

const TOP_KEYS = ["name", "description", "tags", "minPsnr", "maxFrameFailures", "minAudioCorrelation", "maxAudioLagWindows", "checkpoints", "renderConfig", "expectations"];
const RENDER_KEYS = ["fps", "preset", "format", "quality", "workers", "hdr", "variables", "frames", "crf"];
const FORMATS = ["mp4", "webm", "mov", "gif", "png-sequence"];

/** Repo-relative path for messages. @param {string} p */
export const rel = (p) => path.relative(REPO, p) || ".";

/**
 * Validates a parsed meta.json; throws naming `file` and the field.
 * @param {unknown} raw
 * @param {string} file
 * @param {string} dirName
 * @returns {Meta}
 */
export function validateMeta(raw, file, dirName) {
  const where = rel(file);
  const fail = (/** @type {string} */ field, /** @type {string} */ msg) => {
    throw new Error(`${where}: field "${field}" ${msg}`);
  };
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new Error(`${where}: must hold a JSON object`);
  const m = /** @type {Record<string, any>} */ (raw);
  for (const key of Object.keys(m)) if (!TOP_KEYS.includes(key)) fail(key, `is not a known field (known: ${TOP_KEYS.join(", ")})`);
  for (const key of ["name", "description", "tags", "minPsnr", "maxFrameFailures", "minAudioCorrelation", "maxAudioLagWindows", "renderConfig", "expectations"]) {
    if (!(key in m)) fail(key, "is required");
  }
  if (m.name !== dirName) fail("name", `must equal the directory name "${dirName}", got ${JSON.stringify(m.name)}`);
  if (typeof m.description !== "string" || m.description.trim() === "") fail("description", "must be a non-empty string");
  if (!Array.isArray(m.tags) || !m.tags.every((t) => typeof t === "string" && t !== "")) fail("tags", "must be an array of non-empty strings");
  if (typeof m.minPsnr !== "number" || !(m.minPsnr > 0)) fail("minPsnr", `must be a number of dB > 0, got ${JSON.stringify(m.minPsnr)}`);
  if (!Number.isInteger(m.maxFrameFailures) || m.maxFrameFailures < 0) fail("maxFrameFailures", `must be an integer ≥ 0, got ${JSON.stringify(m.maxFrameFailures)}`);
  if (typeof m.minAudioCorrelation !== "number" || m.minAudioCorrelation < -1 || m.minAudioCorrelation > 1) {
    fail("minAudioCorrelation", `must be a number in [-1, 1], got ${JSON.stringify(m.minAudioCorrelation)}`);
  }
  if (!Number.isInteger(m.maxAudioLagWindows) || m.maxAudioLagWindows < 1) fail("maxAudioLagWindows", `must be an integer ≥ 1, got ${JSON.stringify(m.maxAudioLagWindows)}`);
  if ("checkpoints" in m && (!Number.isInteger(m.checkpoints) || m.checkpoints < 1)) fail("checkpoints", "must be an integer ≥ 1");

  const rc = m.renderConfig;
  if (!rc || typeof rc !== "object" || Array.isArray(rc)) fail("renderConfig", "must be an object");
  for (const key of Object.keys(rc)) if (!RENDER_KEYS.includes(key)) fail(`renderConfig.${key}`, `is not a known field (known: ${RENDER_KEYS.join(", ")})`);
  if ("fps" in rc) {
    const ok = (Number.isInteger(rc.fps) && rc.fps >= 1 && rc.fps <= 240) || (typeof rc.fps === "string" && /^\d+(\/\d+)?$/.test(rc.fps));
    if (!ok) fail("renderConfig.fps", `must be an integer 1..240 or a rational string like "30000/1001", got ${JSON.stringify(rc.fps)}`);
  }
  if ("preset" in rc && (typeof rc.preset !== "string" || rc.preset === "")) fail("renderConfig.preset", "must be a preset name (see `frameloom presets`)");
  if ("format" in rc && !FORMATS.includes(rc.format)) fail("renderConfig.format", `must be one of ${FORMATS.join(", ")}, got ${JSON.stringify(rc.format)}`);
  if ("quality" in rc && !["draft", "standard", "high"].includes(rc.quality)) fail("renderConfig.quality", "must be draft, standard or high");
  if ("workers" in rc && !(rc.workers === "auto" || (Number.isInteger(rc.workers) && rc.workers >= 1))) fail("renderConfig.workers", `must be an integer ≥ 1 or "auto"`);
  if ("hdr" in rc && ![true, false, "auto", "hdr", "sdr"].includes(rc.hdr)) fail("renderConfig.hdr", `must be true (force HDR), false (force SDR), "auto", "hdr" or "sdr"`);
  if ("frames" in rc && !(typeof rc.frames === "string" && /^\d+-\d+$/.test(rc.frames))) fail("renderConfig.frames", `must be "A-B" (0-based, inclusive), got ${JSON.stringify(rc.frames)}`);
  if ("crf" in rc && !(Number.isInteger(rc.crf) && rc.crf >= 0 && rc.crf <= 63)) fail("renderConfig.crf", "must be an integer 0..63");
  if ("variables" in rc) {
    if (!rc.variables || typeof rc.variables !== "object" || Array.isArray(rc.variables)) fail("renderConfig.variables", "must be an object");
  }

  if (!Array.isArray(m.expectations) || m.expectations.length === 0) {
    fail("expectations", "must be a non-empty array (facts the timing implies, checked on every run; see test/fixtures/README.md)");
  }
  m.expectations.forEach((/** @type {unknown} */ e, /** @type {number} */ i) => validateExpectation(e, `${where}: expectations[${i}]`));
  return /** @type {Meta} */ (m);
}

/** @param {string} dir @returns {Promise<Fixture>} */
export async function loadFixture(dir) {
  const name = path.basename(dir);
  const metaFile = path.join(dir, "meta.json");
  let text;
  try {
    text = await readFile(metaFile, "utf8");
  } catch (cause) {
    throw new Error(`${rel(metaFile)}: cannot read (${/** @type {Error} */ (cause).message})`, { cause });
  }
  let raw;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new Error(`${rel(metaFile)}: invalid JSON (${/** @type {Error} */ (cause).message})`, { cause });
  }
  const meta = validateMeta(raw, metaFile, name);
  const srcDir = path.join(dir, "src");
  if (!(await stat(path.join(srcDir, "index.html")).catch(() => null))) throw new Error(`${rel(srcDir)}: missing index.html`);
  return { name, dir, srcDir, outputDir: path.join(dir, "output"), metaFile, meta };
}

/**
 * Loads every fixture (directories of test/fixtures holding a meta.json), optionally filtered.
 * Unknown names in `only` fail, listing the known ones.
 * @param {{ only?: string[], quick?: boolean, dir?: string }} [options]
 * @returns {Promise<Fixture[]>}
 */
export async function loadFixtures(options = {}) {
  const root = options.dir ?? FIXTURES_DIR;
  /** @type {string[]} */
  const names = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.isDirectory() && (await stat(path.join(root, entry.name, "meta.json")).catch(() => null))) names.push(entry.name);
  }
  names.sort();
  const only = options.only ?? [];
  const unknown = only.filter((n) => !names.includes(n));
  if (unknown.length) throw new Error(`no fixture named ${unknown.map((n) => JSON.stringify(n)).join(", ")} in ${rel(root)} (fixtures: ${names.join(", ")})`);
  const picked = only.length ? names.filter((n) => only.includes(n)) : names;
  const fixtures = [];
  for (const name of picked) fixtures.push(await loadFixture(path.join(root, name)));
  return options.quick ? fixtures.filter((f) => f.meta.tags.includes("quick")) : fixtures;
}
