/**
 * HDR10 content light level (CTA-861.3 MaxCLL / MaxFALL) of a PQ render, measured from its HDR sources over
 * the frames in which they are visible, with DOM graphics at up to `domNits` (SDR reference white, 203 nits).
 *
 * Definitions: per pixel, light = max(R, G, B) in linear nits; MaxCLL is the largest light of any pixel of
 * any frame; MaxFALL is the largest frame average of light.
 *
 * How it is measured:
 * - Each source is decoded by ffmpeg at full resolution (peaks do not survive downscaling) to planar
 *   16-bit non-linear R'G'B' (zscale undoes the BT.2020 non-constant-luminance matrix at the source's range,
 *   chroma upsampled bilinearly as the HDR compositor does); JS maps codes to nits with 65536-entry tables.
 *   PQ: light = EOTF(max code) (the EOTF is monotonic). HLG: display light at a 1000-nit peak with the
 *   BT.2100 reference OOTF (γ 1.2), whose gain depends on scene luminance, so each pixel is computed.
 * - Windows are source-local seconds; a window holds the frame shown at its start and those that follow,
 *   up to its end. A window past the end of the file holds the last frame (a video freezes there).
 * - When a source's windows hold more than `maxFramesPerSource` frames, evenly spaced frames are sampled
 *   (ffmpeg's fps filter, budget split by window length); `method` says how many were measured.
 * - The output frame = source × coverage + DOM elsewhere, and DOM pixels are at most `domNits`, so
 *   MaxCLL = max(sources' peak, domNits) and a frame's average is bounded by
 *   coverage × source average + (1 − coverage) × domNits (an upper bound: DOM is rarely all white).
 *   MaxFALL is the largest of those bounds, clamped to MaxCLL.
 *
 * Limits (upper-bound or approximate on purpose): sources visible at the same time are each counted as if
 * alone over DOM; a cropped source (object-fit: cover) counts its whole frame's average; alpha in a still
 * is ignored (pixels count as opaque); frames where no source is visible count only with `domOnlyFrames`.
 */
import { endianness } from "node:os";
import path from "node:path";
import {
  FrameloomError,
  HLG_DISPLAY_PEAK_NITS,
  HLG_SYSTEM_GAMMA,
  MEDIA_INPUT_OPTIONS,
  PQ_PEAK_NITS,
  SharedErrors,
  TailBuffer,
  abortError,
  assertMediaFormat,
  assertNotAborted,
  errorMessage,
  findFfmpeg,
  findFfprobe,
  hlgInverseOetf as hlgSceneLight,
  invalidParameterError,
  is,
  isFrameloomError,
  killTree,
  pqDecode,
  pqEncode,
  runProcess,
  signalRgbZscale,
  spawnTracked,
} from "@frameloom/shared-helpers";
import type { ContentLight } from "@frameloom/shared-helpers";
import { PlanErrors } from "./errors.js";

export type { ContentLight };

export interface LightSource {
  /** Absolute path of the HDR video or still image. */
  path: string;
  /**
   * The source's transfer: pq or hlg (HLG sources are converted to display light at 1000-nit peak, BT.2100
   * reference OOTF, then counted in nits). The caller's probe decides; the file's tags are not re-read.
   */
  transfer: "pq" | "hlg";
  /**
   * Source-local time windows (seconds into the file, `from` ≥ 0, `to` > `from`) in which it is visible in
   * the output, e.g. [{from: 0.5, to: 3.5}]. Overlapping windows are merged. An empty list: never visible,
   * not measured.
   */
  windows: { from: number; to: number }[];
  /** A still image: its one frame is measured (window times are then ignored). Default: by codec (png, jpeg, …). */
  still?: boolean;
  /** Fraction of the output frame area the source covers at most, in (0, 1], for MaxFALL; default 1. */
  coverage?: number;
}

export interface MeasureContentLightOptions {
  signal?: AbortSignal;
  /** Brightest DOM graphics, nits; default 203 (BT.2408 SDR reference white). */
  domNits?: number;
  /** Most frames decoded per source; more are sampled evenly. Default 120. */
  maxFramesPerSource?: number;
  /**
   * Some output frames show no HDR source (DOM only): they count as a frame average of `domNits`.
   * Default false: only frames holding a source count (the caller knows the timeline, this function does not).
   */
  domOnlyFrames?: boolean;
}

// PQ and HLG are shared-helpers' (transferFunctions.ts, the compositor's maths). Here a NaN code measures as black
// (it cannot come from a decoded frame, but the light measurement must never report NaN).
const orZero = (v: number) => (Number.isNaN(v) ? 0 : v);

/** PQ EOTF: non-linear code (0..1, 1.0 = 10 000 nits) → nits. Codes outside 0..1 are clamped. */
export function pqEotfNits(code01: number): number {
  return pqDecode(orZero(code01));
}

/** Inverse PQ EOTF: nits (clamped to 0..10 000) → non-linear code 0..1. */
export function pqCodeForNits(nits: number): number {
  return pqEncode(orZero(nits));
}

/** HLG inverse OETF: non-linear code 0..1 → normalised scene light 0..1. */
export function hlgInverseOetf(code01: number): number {
  return hlgSceneLight(orZero(code01));
}

/** BT.2100 reference OOTF at 1000 nits applied to scene light (0..1 each): max(R, G, B) of display light, nits. */
function hlgLightFromScene(rs: number, gs: number, bs: number): number {
  const ys = 0.2627 * rs + 0.678 * gs + 0.0593 * bs;
  if (!(ys > 0)) return 0;
  const m = rs > gs ? (rs > bs ? rs : bs) : gs > bs ? gs : bs;
  return HLG_DISPLAY_PEAK_NITS * ys ** (HLG_SYSTEM_GAMMA - 1) * m;
}

/**
 * HLG non-linear R'G'B' (0..1 each) → that pixel's light in nits: max(R, G, B) of display light on a
 * 1000-nit display (BT.2100 reference OOTF, γ 1.2). Grey at 75 % → 203 nits; 100 % → 1000 nits.
 */
export function hlgDisplayNits(r01: number, g01: number, b01: number): number {
  return hlgLightFromScene(hlgInverseOetf(r01), hlgInverseOetf(g01), hlgInverseOetf(b01));
}

let pqTable: Float64Array | null = null;
let hlgTable: Float64Array | null = null;

/** 16-bit code → nits (PQ) or scene light (HLG); built once, on first use. */
function table(transfer: "pq" | "hlg"): Float64Array {
  if (transfer === "pq") {
    if (pqTable === null) {
      pqTable = new Float64Array(65536);
      for (let i = 0; i < 65536; i++) pqTable[i] = pqEotfNits(i / 65535);
    }
    return pqTable;
  }
  if (hlgTable === null) {
    hlgTable = new Float64Array(65536);
    for (let i = 0; i < 65536; i++) hlgTable[i] = hlgInverseOetf(i / 65535);
  }
  return hlgTable;
}

const GAIN_STEPS = 65536;
let gainTable: Float64Array | null = null;

/** Ys^(γ−1) at Ys = i / GAIN_STEPS, i = 0..GAIN_STEPS (error < 0.1 % of the gain for Ys ≥ 1e-4, where light is under 1 nit). */
function hlgGainTable(): Float64Array {
  if (gainTable === null) {
    gainTable = new Float64Array(GAIN_STEPS + 1);
    for (let i = 0; i <= GAIN_STEPS; i++) gainTable[i] = (i / GAIN_STEPS) ** (HLG_SYSTEM_GAMMA - 1);
  }
  return gainTable;
}

interface FrameLight {
  /** Brightest pixel, nits. */
  peak: number;
  /** Frame average of per-pixel light, nits. */
  average: number;
}

/** One gbrp16 frame (planes G, B, R of `plane` samples each) → its peak and average light. */
function frameLight(frame: Uint16Array, plane: number, transfer: "pq" | "hlg"): FrameLight {
  const lut = table(transfer);
  let sum = 0;
  if (transfer === "pq") {
    let peakCode = 0;
    for (let i = 0; i < plane; i++) {
      const g = frame[i]!;
      const b = frame[i + plane]!;
      const r = frame[i + 2 * plane]!;
      const m = r > g ? (r > b ? r : b) : g > b ? g : b;
      sum += lut[m]!;
      if (m > peakCode) peakCode = m;
    }
    return { peak: lut[peakCode]!, average: sum / plane };
  }
  // The OOTF gain Ys^0.2 from a table (linear interpolation): a pow per pixel made 1080p HLG 5x slower.
  const gain = hlgGainTable();
  let peak = 0;
  for (let i = 0; i < plane; i++) {
    const gs = lut[frame[i]!]!;
    const bs = lut[frame[i + plane]!]!;
    const rs = lut[frame[i + 2 * plane]!]!;
    const x = (0.2627 * rs + 0.678 * gs + 0.0593 * bs) * GAIN_STEPS;
    const k = x < GAIN_STEPS ? x | 0 : GAIN_STEPS - 1;
    const m = rs > gs ? (rs > bs ? rs : bs) : gs > bs ? gs : bs;
    const light = HLG_DISPLAY_PEAK_NITS * (gain[k]! + (gain[k + 1]! - gain[k]!) * (x - k)) * m;
    sum += light;
    if (light > peak) peak = light;
  }
  return { peak, average: sum / plane };
}

const STILL_CODECS = new Set(["png", "mjpeg", "jpegls", "webp", "tiff", "bmp", "gif", "jpeg2000", "avif", "exr", "hdr"]);
/** Largest decoded side: one gbrp16 frame of 8192² is 384 MiB (the HDR compositor has the same limit). */
const MAX_SIDE = 8192;
/** Planar 16-bit in this machine's byte order, so a Uint16Array reads the samples directly. */
const PIX_FMT = endianness() === "LE" ? "gbrp16le" : "gbrp16be";

interface SourceInfo {
  width: number;
  height: number;
  codec: string;
  pixelFormat: string;
  range: "limited" | "full";
  fps: number | null;
  durationSec: number | null;
}

function measureError(source: LightSource, reason: string, cause?: unknown): FrameloomError {
  // The file by name only: messages carry no absolute paths (STYLE.md); the path is in details.
  const name = path.basename(source.path);
  return new FrameloomError(PlanErrors.LIGHT_MEASURE, `cannot measure the content light of ${name}: ${reason.split(source.path).join(name)}`, {
    cause,
    details: { path: source.path },
  });
}

function rate(text: unknown): number | null {
  const [num, den = "1"] = String(text ?? "").split("/");
  const value = Number(num) / Number(den);
  return Number.isFinite(value) && value > 0 ? value : null;
}

async function probe(source: LightSource, signal?: AbortSignal): Promise<SourceInfo> {
  const { stdout, stderr, code } = await runProcess(
    findFfprobe(),
    [
      "-v", "error", ...MEDIA_INPUT_OPTIONS, "-select_streams", "v:0",
      "-show_entries", "stream=width,height,codec_name,pix_fmt,color_range,avg_frame_rate,r_frame_rate,duration:format=duration,format_name",
      "-of", "json", source.path,
    ],
    { signal, label: "ffprobe", allowFailure: true },
  );
  if (code !== 0) {
    const last = stderr.trim().split("\n").filter((l) => l.trim() !== "").at(-1)?.trim();
    throw measureError(source, `ffprobe cannot read it: ${last || `exit code ${code}`}`);
  }
  let parsed: { streams?: Record<string, string | number>[]; format?: { duration?: string; format_name?: string } };
  try {
    parsed = JSON.parse(stdout.toString());
  } catch (error) {
    throw measureError(source, `ffprobe gave unreadable output: ${errorMessage(error)}`, error);
  }
  // A playlist could pull other files in: refused (FLM_ERR_MEDIA_FORMAT_REFUSED), as everywhere else.
  assertMediaFormat(parsed.format?.format_name, path.basename(source.path));
  const stream = parsed.streams?.[0];
  if (!stream) throw measureError(source, "it has no video stream");
  const width = Number(stream.width);
  const height = Number(stream.height);
  if (!(width > 0 && height > 0 && width <= MAX_SIDE && height <= MAX_SIDE)) {
    throw measureError(source, `its size ${width}x${height} is outside 1..${MAX_SIDE} px per side`);
  }
  const pixelFormat = String(stream.pix_fmt ?? "");
  const duration = Number(stream.duration ?? parsed.format?.duration);
  return {
    width,
    height,
    codec: String(stream.codec_name ?? ""),
    pixelFormat,
    // Untagged YUV is limited range, except the JPEG (yuvj) formats.
    range: stream.color_range === "pc" || (stream.color_range !== "tv" && pixelFormat.startsWith("yuvj")) ? "full" : "limited",
    fps: rate(stream.avg_frame_rate) ?? rate(stream.r_frame_rate),
    durationSec: Number.isFinite(duration) && duration > 0 ? duration : null,
  };
}

/** The filter that turns decoded frames into non-linear full-range gbrp16 R'G'B'. */
function toRgbFilter(info: SourceInfo, transfer: "pq" | "hlg"): string {
  if (!/^(yuv|nv|p0|p2|p4)/.test(info.pixelFormat)) return `format=${PIX_FMT}`; // already R'G'B' (a 16-bit PNG)
  return `${signalRgbZscale(transfer, info.range)},format=${PIX_FMT}`;
}

/** Runs ffmpeg writing raw frames to stdout and hands each whole frame to `onFrame`; returns the frame count. */
async function decode(source: LightSource, args: string[], frameBytes: number, onFrame: (frame: Uint16Array) => void, signal?: AbortSignal): Promise<number> {
  assertNotAborted(signal);
  const child = spawnTracked(findFfmpeg(), args, { signal, stdio: ["ignore", "pipe", "pipe"] });
  const stderr = new TailBuffer(4000);
  child.stderr!.on("data", (d: Buffer) => stderr.push(d));
  let startError: Error | null = null;
  child.once("error", (e) => {
    startError = e;
  });
  // 'close' follows 'error' too, so this always settles.
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once("close", (code, sig) => resolve([code, sig])));
  const frame = new Uint16Array(frameBytes / 2);
  const bytes = new Uint8Array(frame.buffer);
  let filled = 0;
  let count = 0;
  try {
    // One reused frame buffer; the loop's own pace is the back-pressure on ffmpeg.
    for await (const chunk of child.stdout! as AsyncIterable<Buffer>) {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(frameBytes - filled, chunk.length - off);
        bytes.set(chunk.subarray(off, off + n), filled);
        filled += n;
        off += n;
        if (filled === frameBytes) {
          onFrame(frame);
          count++;
          filled = 0;
        }
      }
    }
  } catch (error) {
    killTree(child);
    await closed;
    if (signal?.aborted) throw abortError(signal);
    throw measureError(source, `reading ffmpeg's output failed: ${errorMessage(error)}`, error);
  }
  const [code, sig] = await closed;
  if (signal?.aborted) throw abortError(signal);
  if (startError) throw measureError(source, `ffmpeg could not start: ${errorMessage(startError)}`, startError);
  if (code !== 0) {
    const tail = stderr.toString().trim().split("\n").slice(-8).join("\n");
    throw measureError(source, `ffmpeg exited with ${code ?? sig}:\n${tail}`, undefined);
  }
  return count;
}

interface Window {
  from: number;
  to: number;
  /** Past the end of the file: only the last decoded frame is shown. */
  lastOnly: boolean;
}

/** Sorted, merged, clamped to the file's duration (a window past the end holds the last frame). */
function plannedWindows(source: LightSource, info: SourceInfo): Window[] {
  const sorted = [...source.windows].sort((a, b) => a.from - b.from);
  const merged: { from: number; to: number }[] = [];
  for (const w of sorted) {
    const last = merged.at(-1);
    if (last && w.from <= last.to) last.to = Math.max(last.to, w.to);
    else merged.push({ from: w.from, to: w.to });
  }
  const dur = info.durationSec;
  if (dur === null) return merged.map((w) => ({ ...w, lastOnly: false }));
  const frame = 1 / (info.fps ?? 30);
  const out: Window[] = [];
  let holdsLast = false;
  for (const w of merged) {
    const to = Math.min(w.to, dur);
    if (w.from < dur - frame / 2) out.push({ from: w.from, to, lastOnly: false });
    else if (!holdsLast) {
      // Wholly past the end: the video shows its frozen last frame.
      holdsLast = true;
      out.push({ from: Math.max(0, dur - 3 * frame), to: dur, lastOnly: true });
    }
  }
  return out;
}

interface SourceResult {
  peak: number;
  fall: number;
  measured: number;
  total: number;
  still: boolean;
}

async function measureSource(source: LightSource, options: Required<Omit<MeasureContentLightOptions, "signal">> & { signal?: AbortSignal }): Promise<SourceResult> {
  const { signal } = options;
  let info: SourceInfo;
  try {
    info = await probe(source, signal);
  } catch (error) {
    if (signal?.aborted) throw abortError(signal);
    if (isFrameloomError(error, PlanErrors.LIGHT_MEASURE) || isFrameloomError(error, SharedErrors.MEDIA_FORMAT_REFUSED)) throw error;
    throw measureError(source, errorMessage(error), error);
  }
  const plane = info.width * info.height;
  const frameBytes = plane * 3 * 2;
  const coverage = source.coverage ?? 1;
  const filter = toRgbFilter(info, source.transfer);
  const base = ["-nostdin", "-v", "error"];
  const output = ["-map", "0:v:0", "-an", "-sn", "-dn", "-f", "rawvideo", "-pix_fmt", PIX_FMT, "pipe:1"];
  const still = source.still ?? STILL_CODECS.has(info.codec);
  const result: SourceResult = { peak: 0, fall: 0, measured: 0, total: 0, still };
  const add = (light: FrameLight) => {
    result.peak = Math.max(result.peak, light.peak);
    result.fall = Math.max(result.fall, coverage * light.average + (1 - coverage) * options.domNits);
    result.measured++;
  };

  if (still) {
    const n = await decode(source, [...base, ...MEDIA_INPUT_OPTIONS, "-i", source.path, "-frames:v", "1", "-vf", filter, ...output], frameBytes, (f) => add(frameLight(f, plane, source.transfer)), signal);
    if (n === 0) throw measureError(source, "it has no decodable frame");
    result.total = 1;
    return result;
  }

  const windows = plannedWindows(source, info);
  const fps = info.fps;
  // Frames each window holds (estimated from the frame rate), and how many of them to decode.
  const held = windows.map((w) => (w.lastOnly ? 1 : fps === null ? null : Math.max(1, Math.round((w.to - w.from) * fps))));
  const estimate = held.every((n) => n !== null) ? held.reduce<number>((a, n) => a + n!, 0) : null;
  const sampled = estimate !== null && estimate > options.maxFramesPerSource;
  for (const [i, w] of windows.entries()) {
    // Seek to just after the previous frame's time, so the frame shown at `from` is the first one kept.
    const seek = w.lastOnly || fps === null ? w.from : Math.max(0, w.from - 0.999 / fps);
    const length = w.to - seek;
    // Input -t lets a frame or so past its end through: it only bounds the decode (with slack), and trim
    // (timestamps start at 0 at the seek point) cuts exactly.
    const slack = fps === null ? 1 : 2 / fps;
    const args = [...base, "-ss", seek.toFixed(6), "-t", (length + slack).toFixed(6), ...MEDIA_INPUT_OPTIONS, "-i", source.path];
    let vf = `trim=end=${length.toFixed(6)},${filter}`;
    if (sampled && !w.lastOnly) {
      const budget = Math.max(1, Math.floor((options.maxFramesPerSource * held[i]!) / estimate));
      // Evenly spaced: the fps filter keeps the frame nearest each of `budget` slots over the window.
      vf = `trim=end=${length.toFixed(6)},fps=${(budget / length).toFixed(9)},${filter}`;
      args.push("-frames:v", String(budget));
    }
    args.push("-vf", vf, ...output);
    if (w.lastOnly) {
      let last: FrameLight | null = null;
      await decode(source, args, frameBytes, (f) => (last = frameLight(f, plane, source.transfer)), signal);
      if (last) add(last);
      result.total += 1;
    } else {
      const n = await decode(source, args, frameBytes, (f) => add(frameLight(f, plane, source.transfer)), signal);
      result.total += sampled ? held[i]! : n;
    }
  }
  if (result.measured === 0) throw measureError(source, "no frame decodes in its visible windows");
  return result;
}

function validate(sources: LightSource[], options: MeasureContentLightOptions): void {
  if (!Array.isArray(sources)) throw invalidParameterError("sources", "an array of light sources", sources);
  for (const [i, s] of sources.entries()) {
    const at = `sources[${i}]`;
    if (!is.string(s?.path) || !path.isAbsolute(s.path)) throw invalidParameterError(`${at}.path`, "an absolute path", s?.path);
    if (!is.inArray(s.transfer, ["pq", "hlg"] as const)) throw invalidParameterError(`${at}.transfer`, '"pq" or "hlg"', s.transfer);
    if (!Array.isArray(s.windows)) throw invalidParameterError(`${at}.windows`, "an array of {from, to}", s.windows);
    for (const [j, w] of s.windows.entries()) {
      if (!(is.number(w?.from) && is.number(w?.to) && w.from >= 0 && w.to > w.from)) {
        throw invalidParameterError(`${at}.windows[${j}]`, "{from, to} seconds with 0 ≤ from < to", w);
      }
    }
    if (s.coverage !== undefined && !(is.number(s.coverage) && s.coverage > 0 && s.coverage <= 1)) {
      throw invalidParameterError(`${at}.coverage`, "a number in (0, 1]", s.coverage);
    }
    if (s.still !== undefined && typeof s.still !== "boolean") throw invalidParameterError(`${at}.still`, "a boolean", s.still);
  }
  const { domNits, maxFramesPerSource } = options;
  if (domNits !== undefined && !(is.number(domNits) && is.inRange(domNits, 0, PQ_PEAK_NITS))) {
    throw invalidParameterError("domNits", "nits in 0..10000", domNits);
  }
  if (maxFramesPerSource !== undefined && !(is.integer(maxFramesPerSource) && maxFramesPerSource >= 1)) {
    throw invalidParameterError("maxFramesPerSource", "an integer ≥ 1", maxFramesPerSource);
  }
}

/**
 * Measures MaxCLL / MaxFALL (integer nits) of a PQ render from its HDR sources (see the header). Sources
 * are decoded one after another. Errors: FLM_ERR_PLAN_LIGHT_MEASURE (a source cannot be read or decoded),
 * FLM_ERR_MEDIA_FORMAT_REFUSED (a playlist), FLM_ERR_INVALID_ARGUMENT, FLM_ERR_ABORTED.
 */
export async function measureContentLight(sources: LightSource[], options: MeasureContentLightOptions = {}): Promise<ContentLight> {
  validate(sources, options);
  const { signal } = options;
  assertNotAborted(signal);
  const settings = {
    signal,
    domNits: options.domNits ?? 203,
    maxFramesPerSource: options.maxFramesPerSource ?? 120,
    domOnlyFrames: options.domOnlyFrames ?? false,
  };
  const dom = settings.domNits;
  const visible = sources.filter((s) => s.windows.length > 0);
  let peak = dom;
  let fall = visible.length === 0 || settings.domOnlyFrames ? dom : 0;
  let measured = 0;
  let total = 0;
  let stills = 0;
  for (const source of visible) {
    const r = await measureSource(source, settings);
    assertNotAborted(signal);
    peak = Math.max(peak, r.peak);
    fall = Math.max(fall, r.fall);
    measured += r.measured;
    total += r.total;
    if (r.still) stills++;
  }
  const maxCll = Math.round(peak);
  const maxFall = Math.min(Math.round(fall), maxCll);
  const parts: string[] = [];
  if (visible.length === 0) parts.push("no HDR source visible");
  else {
    const n = visible.length;
    parts.push(`measured ${measured} of ${total} frames of ${n} source${n === 1 ? "" : "s"}${stills > 0 ? ` (${stills} still)` : ""}`);
  }
  if (sources.length > visible.length) parts.push(`${sources.length - visible.length} never visible, skipped`);
  parts.push(`DOM at ${dom} nits${settings.domOnlyFrames ? " (also DOM-only frames)" : ""}`);
  return { maxCll, maxFall, method: parts.join("; ") };
}
