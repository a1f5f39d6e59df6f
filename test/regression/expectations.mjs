/**
 * Expectations: facts a fixture's timing implies, checked against every fresh render (so a wrong
 * golden cannot pass). Format: test/fixtures/README.md. `validateExpectation` checks the shape when
 * meta.json is loaded; `checkExpectations` measures an output.
 */
import { AUDIO_RATE, decodeAudio, decodeFrames, firstFrameSideData, probe, rmsDb, sample } from "./media.mjs";

/**
 * @typedef {Record<string, any>} Expectation
 * @typedef {{ index: number, label: string, ok: boolean, detail: string, note?: string }} ExpectationResult
 */

const PIXEL_KEYS = new Set(["frame", "x", "y", "size", "rgb", "alpha", "y10", "tolerance", "note"]);
const COUNTER_KEYS = new Set(["frame", "counter", "value", "note"]);
const AUDIO_KEYS = new Set(["audio", "minDb", "maxDb", "note"]);
/** Stream fields: expectation key → how to read it from the probe. */
const STREAM_FIELDS = {
  frames: (/** @type {any} */ p) => p.packets,
  fpsRational: (/** @type {any} */ p) => (p.kind === "png-sequence" ? null : p.video.r_frame_rate),
  width: (/** @type {any} */ p) => p.video.width,
  height: (/** @type {any} */ p) => p.video.height,
  codec: (/** @type {any} */ p) => p.video.codec_name,
  codecTag: (/** @type {any} */ p) => p.video.codec_tag_string,
  profile: (/** @type {any} */ p) => p.video.profile ?? null,
  pixFmt: (/** @type {any} */ p) => p.video.pix_fmt,
  colorPrimaries: (/** @type {any} */ p) => p.video.color_primaries ?? null,
  colorTransfer: (/** @type {any} */ p) => p.video.color_transfer ?? null,
  colorSpace: (/** @type {any} */ p) => p.video.color_space ?? null,
  colorRange: (/** @type {any} */ p) => p.video.color_range ?? null,
  alphaMode: (/** @type {any} */ p) => p.video.tags?.alpha_mode ?? p.video.tags?.ALPHA_MODE ?? null,
  hasAudio: (/** @type {any} */ p) => p.audio !== null,
  audioCodec: (/** @type {any} */ p) => p.audio?.codec_name ?? null,
  audioSampleRate: (/** @type {any} */ p) => (p.audio ? Number(p.audio.sample_rate) : null),
  audioChannels: (/** @type {any} */ p) => p.audio?.channels ?? null,
  audioDuration: (/** @type {any} */ p) => (p.audio ? Number(p.audio.duration) : null),
};
const STREAM_KEYS = new Set([...Object.keys(STREAM_FIELDS), "sideData", "durationTolerance", "note"]);

/** @param {Expectation} e @returns {"pixel" | "counter" | "audio" | "stream"} */
export function kindOf(e) {
  if ("counter" in e) return "counter";
  if ("audio" in e) return "audio";
  if ("frame" in e) return "pixel";
  return "stream";
}

const isInt = (/** @type {unknown} */ v) => Number.isInteger(v) && /** @type {number} */ (v) >= 0;
const isNum = (/** @type {unknown} */ v) => typeof v === "number" && Number.isFinite(v);

/**
 * Throws an Error naming `where` (e.g. `test/fixtures/x/meta.json: expectations[3]`) and the field.
 * @param {unknown} e
 * @param {string} where
 */
export function validateExpectation(e, where) {
  const fail = (/** @type {string} */ msg) => {
    throw new Error(`${where}: ${msg}`);
  };
  if (!e || typeof e !== "object" || Array.isArray(e)) fail("must be an object");
  const x = /** @type {Expectation} */ (e);
  const kind = kindOf(x);
  const allowed = { pixel: PIXEL_KEYS, counter: COUNTER_KEYS, audio: AUDIO_KEYS, stream: STREAM_KEYS }[kind];
  for (const key of Object.keys(x)) if (!allowed.has(key)) fail(`unknown field "${key}" for a ${kind} expectation (allowed: ${[...allowed].join(", ")})`);
  if ("note" in x && typeof x.note !== "string") fail(`"note" must be a string`);
  if (kind === "pixel" || kind === "counter") {
    if (!isInt(x.frame)) fail(`"frame" must be an integer ≥ 0 (0-based output frame), got ${JSON.stringify(x.frame)}`);
  }
  if (kind === "pixel") {
    for (const k of ["x", "y"]) if (!isNum(x[k]) || x[k] < 0) fail(`"${k}" must be a number ≥ 0, got ${JSON.stringify(x[k])}`);
    if (!("rgb" in x) && !("alpha" in x) && !("y10" in x)) fail(`a pixel expectation needs "rgb", "alpha" or "y10"`);
    if ("y10" in x && ("rgb" in x || "alpha" in x)) fail(`"y10" cannot be combined with "rgb"/"alpha" (different decodes)`);
    if ("rgb" in x && !(typeof x.rgb === "string" && /^#[0-9a-f]{6}$/i.test(x.rgb))) fail(`"rgb" must be "#rrggbb", got ${JSON.stringify(x.rgb)}`);
    if ("alpha" in x && !(isInt(x.alpha) && x.alpha <= 255)) fail(`"alpha" must be an integer 0..255, got ${JSON.stringify(x.alpha)}`);
    if ("y10" in x && !(isInt(x.y10) && x.y10 <= 1023)) fail(`"y10" must be an integer 0..1023, got ${JSON.stringify(x.y10)}`);
    if ("tolerance" in x && !(isNum(x.tolerance) && x.tolerance >= 0)) fail(`"tolerance" must be a number ≥ 0`);
    if ("size" in x && !(Number.isInteger(x.size) && x.size >= 1 && x.size <= 64)) fail(`"size" must be an integer 1..64`);
  }
  if (kind === "counter") {
    const c = x.counter;
    if (!c || typeof c !== "object") fail(`"counter" must be { x, y, w, h, bits }`);
    for (const k of ["x", "y", "w", "h", "bits"]) if (!isInt(c[k])) fail(`"counter.${k}" must be an integer ≥ 0, got ${JSON.stringify(c[k])}`);
    for (const k of Object.keys(c)) if (!["x", "y", "w", "h", "bits"].includes(k)) fail(`unknown field "counter.${k}"`);
    if (c.bits < 1 || c.bits > 16 || c.w < c.bits) fail(`"counter.bits" must be 1..16 and at most counter.w`);
    if (!isInt(x.value)) fail(`"value" must be an integer ≥ 0, got ${JSON.stringify(x.value)}`);
  }
  if (kind === "audio") {
    const a = x.audio;
    if (!a || typeof a !== "object" || !isNum(a.from) || !isNum(a.to) || a.from < 0 || a.to <= a.from) fail(`"audio" must be { "from": s, "to": s } with 0 ≤ from < to`);
    for (const k of Object.keys(a)) if (k !== "from" && k !== "to") fail(`unknown field "audio.${k}"`);
    if (!("minDb" in x) && !("maxDb" in x)) fail(`an audio expectation needs "minDb" and/or "maxDb"`);
    for (const k of ["minDb", "maxDb"]) if (k in x && !isNum(x[k])) fail(`"${k}" must be a number (dBFS)`);
  }
  if (kind === "stream") {
    const keys = Object.keys(x).filter((k) => k !== "note" && k !== "durationTolerance");
    if (keys.length === 0) fail(`empty expectation`);
    for (const k of keys) {
      const v = x[k];
      if (k === "sideData") {
        if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) fail(`"sideData" must be an array of side_data_type strings`);
      } else if (k === "hasAudio") {
        if (typeof v !== "boolean") fail(`"hasAudio" must be true or false`);
      } else if (["frames", "width", "height", "audioSampleRate", "audioChannels"].includes(k)) {
        if (!isInt(v)) fail(`"${k}" must be an integer ≥ 0, got ${JSON.stringify(v)}`);
      } else if (k === "audioDuration") {
        if (!isNum(v)) fail(`"audioDuration" must be seconds`);
      } else if (!(typeof v === "string" || (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === "string")))) {
        fail(`"${k}" must be a string or an array of accepted strings, got ${JSON.stringify(v)}`);
      }
    }
    if ("durationTolerance" in x && !(isNum(x.durationTolerance) && x.durationTolerance >= 0)) fail(`"durationTolerance" must be seconds ≥ 0`);
  }
}

/** @param {Expectation} e */
export function describeExpectation(e) {
  switch (kindOf(e)) {
    case "pixel": {
      const want = "y10" in e ? `Y10 ${e.y10}` : [e.rgb, "alpha" in e ? `α${e.alpha}` : ""].filter(Boolean).join(" ");
      return `frame ${e.frame} (${e.x},${e.y}) ${want}`;
    }
    case "counter":
      return `frame ${e.frame} counter = ${e.value}`;
    case "audio":
      return `audio ${e.audio.from}–${e.audio.to} s ${"minDb" in e ? `≥ ${e.minDb}` : ""}${"minDb" in e && "maxDb" in e ? " and " : ""}${"maxDb" in e ? `≤ ${e.maxDb}` : ""} dB`;
    default:
      return Object.entries(e).filter(([k]) => k !== "note" && k !== "durationTolerance").map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ");
  }
}

const hexRgb = (/** @type {string} */ c) => {
  const n = parseInt(c.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
};
const fmt = (/** @type {number[]} */ v) => v.map((n) => Math.round(n)).join(",");
const db = (/** @type {number} */ v) => (v === -Infinity ? "-inf" : v.toFixed(1));

/**
 * Reads a binary counter: `bits` cells of floor(w / bits) px across the rect, sampled at the cell
 * centres on the rect's middle row; white (mean ≥ 160) = 1, black (≤ 95) = 0, anything else fails.
 * @param {import("./media.mjs").Picture} pic
 * @param {{ x: number, y: number, w: number, h: number, bits: number }} c
 * @returns {{ value: number | null, cells: string }}
 */
function readCounter(pic, c) {
  const cell = Math.floor(c.w / c.bits);
  let value = 0;
  const cells = [];
  for (let b = 0; b < c.bits; b++) {
    const [r, g, bl] = sample(pic, c.x + b * cell + cell / 2, c.y + c.h / 2, 3);
    const level = (r + g + bl) / 3;
    if (level >= 160 && Math.max(r, g, bl) - Math.min(r, g, bl) < 60) {
      value |= 1 << b;
      cells.push("1");
    } else if (level <= 95 && Math.max(r, g, bl) < 120) cells.push("0");
    else {
      cells.push(`?(${fmt([r, g, bl])})`);
      return { value: null, cells: cells.join(" ") };
    }
  }
  return { value, cells: cells.join("") };
}

/**
 * Checks every expectation against `output` (a video file or a png-sequence directory).
 * @param {string} output
 * @param {Expectation[]} expectations
 * @returns {Promise<ExpectationResult[]>}
 */
export async function checkExpectations(output, expectations) {
  const probed = await probe(output);
  /** @type {ExpectationResult[]} */
  const results = [];
  const needs = { rgba: new Set(), yuv: new Set() };
  for (const e of expectations) {
    const k = kindOf(e);
    if (k === "counter" || (k === "pixel" && !("y10" in e))) needs.rgba.add(e.frame);
    if (k === "pixel" && "y10" in e) needs.yuv.add(e.frame);
  }
  const rgba = needs.rgba.size ? await decodeFrames(probed, [...needs.rgba], "rgba") : new Map();
  const yuv = needs.yuv.size ? await decodeFrames(probed, [...needs.yuv], "yuv420p10le") : new Map();
  const audio = expectations.some((e) => kindOf(e) === "audio") ? await decodeAudio(probed) : null;
  let sideData = /** @type {string[] | null} */ (null);

  for (const [index, e] of expectations.entries()) {
    const label = describeExpectation(e);
    const push = (/** @type {boolean} */ ok, /** @type {string} */ detail) => results.push({ index, label, ok, detail, ...(e.note ? { note: e.note } : {}) });
    const kind = kindOf(e);
    if (kind === "pixel" || kind === "counter") {
      const pic = ("y10" in e ? yuv : rgba).get(e.frame);
      if (!pic) {
        push(false, `frame ${e.frame} is not in the output (${probed.packets} frames)`);
        continue;
      }
      if (kind === "counter") {
        const { value, cells } = readCounter(pic, e.counter);
        push(value === e.value, `read ${value === null ? "no counter" : value} (cells ${cells})`);
        continue;
      }
      if (e.x >= pic.width || e.y >= pic.height) {
        push(false, `(${e.x},${e.y}) is outside the ${pic.width}×${pic.height} frame`);
        continue;
      }
      const got = sample(pic, e.x, e.y, e.size ?? 1);
      if ("y10" in e) {
        const tol = e.tolerance ?? 8;
        push(Math.abs(got[0] - e.y10) <= tol, `Y10 ${got[0].toFixed(1)} (want ${e.y10} ± ${tol})`);
        continue;
      }
      const tol = e.tolerance ?? 24;
      const problems = [];
      if ("rgb" in e) {
        const want = hexRgb(e.rgb);
        if (want.some((v, i) => Math.abs(got[i] - v) > tol)) problems.push(`rgb ${fmt(got.slice(0, 3))} vs ${fmt(want)}`);
      }
      if ("alpha" in e && Math.abs(got[3] - e.alpha) > tol) problems.push(`alpha ${Math.round(got[3])} vs ${e.alpha}`);
      push(problems.length === 0, problems.length ? `${problems.join(", ")} (± ${tol})` : `rgba ${fmt(got)}`);
      continue;
    }
    if (kind === "audio") {
      if (!audio) {
        // No audio stream: digital silence.
        const ok = !("minDb" in e);
        push(ok, ok ? "no audio stream (silence)" : "no audio stream");
        continue;
      }
      const end = audio.length / AUDIO_RATE;
      if (e.audio.to > end + 0.05) {
        push(false, `window ends at ${e.audio.to} s but the audio ends at ${end.toFixed(3)} s`);
        continue;
      }
      const level = rmsDb(audio, e.audio.from, e.audio.to);
      const ok = (!("minDb" in e) || level >= e.minDb) && (!("maxDb" in e) || level <= e.maxDb);
      push(ok, `RMS ${db(level)} dBFS`);
      continue;
    }
    // stream
    const problems = [];
    const seen = [];
    for (const [key, want] of Object.entries(e)) {
      if (key === "note" || key === "durationTolerance") continue;
      if (key === "sideData") {
        /** @type {string[]} */
        const have = (sideData ??= probed.kind === "video" ? await firstFrameSideData(output) : []);
        const missing = want.filter((/** @type {string} */ s) => !have.includes(s));
        if (missing.length) problems.push(`sideData lacks ${missing.join(", ")} (has ${have.join(", ") || "none"})`);
        else seen.push(`sideData ok`);
        continue;
      }
      const got = STREAM_FIELDS[/** @type {keyof typeof STREAM_FIELDS} */ (key)](probed);
      let ok;
      if (key === "audioDuration") ok = got !== null && Math.abs(got - want) <= (e.durationTolerance ?? 0.03);
      else if (Array.isArray(want)) ok = want.includes(got);
      else ok = got === want;
      (ok ? seen : problems).push(`${key}=${JSON.stringify(got)}${ok ? "" : ` (want ${JSON.stringify(want)})`}`);
    }
    push(problems.length === 0, problems.length ? problems.join(", ") : seen.join(", "));
  }
  return results;
}
