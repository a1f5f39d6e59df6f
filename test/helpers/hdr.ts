/** HDR helpers: make PQ / HLG / SDR test clips, decode to yuv420p10le planes, read regions, PSNR, transfer maths. */
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { BIN } from "./sandbox.js";

const run = promisify(execFile);
const BIG = 512 * 1024 * 1024;

export type ClipTransfer = "pq" | "hlg" | "sdr";

/**
 * A 30 fps test clip. HDR clips: testsrc2 desaturated and blurred (so 4:2:0 round trips don't dominate),
 * luma halved towards black (every pixel stays darker than 203-nit white), HEVC yuv420p10le tagged
 * bt2020 / smpte2084|arib-std-b67. SDR clips: a solid `colour` (default #808080), H.264 yuv420p, BT.709 limited.
 */
export async function makeClip(file: string, opts: { transfer: ClipTransfer; width: number; height: number; seconds: number; colour?: string }): Promise<void> {
  const { width, height, seconds } = opts;
  if (opts.transfer === "sdr") {
    await run("ffmpeg", [
      "-v", "error", "-y", "-f", "lavfi", "-i", `color=c=${opts.colour ?? "#808080"}:s=${width}x${height}:r=30:d=${seconds}`,
      "-vf", "format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0",
      "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv", file,
    ]);
    return;
  }
  const trc = opts.transfer === "pq" ? "smpte2084" : "arib-std-b67";
  await run("ffmpeg", [
    "-v", "error", "-y", "-f", "lavfi", "-i", `testsrc2=s=${width}x${height}:r=30:d=${seconds}`,
    "-vf", "hue=s=0.5,boxblur=2,format=yuv420p10le,lutyuv=y='64+(val-64)/2'",
    "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", `log-level=error:colorprim=bt2020:transfer=${trc}:colormatrix=bt2020nc`,
    "-color_primaries", "bt2020", "-color_trc", trc, "-colorspace", "bt2020nc", "-tag:v", "hvc1", file,
  ]);
}

export interface Yuv10Frame {
  width: number;
  height: number;
  y: Uint16Array;
  u: Uint16Array;
  v: Uint16Array;
}

/** Decodes every frame (small videos only) to yuv420p10le, no scaling or matrix conversion. */
export async function decodeYuv10(file: string): Promise<Yuv10Frame[]> {
  const { stdout: probe } = await run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "json", file]);
  const { width, height } = JSON.parse(probe).streams[0] as { width: number; height: number };
  const { stdout } = await run("ffmpeg", ["-v", "error", "-i", file, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv420p10le", "-"], {
    encoding: "buffer",
    maxBuffer: BIG,
  });
  const ySize = width * height;
  const cSize = (width / 2) * (height / 2);
  const frameBytes = (ySize + 2 * cSize) * 2;
  const frames: Yuv10Frame[] = [];
  for (let o = 0; o + frameBytes <= stdout.length; o += frameBytes) {
    const all = new Uint16Array(stdout.buffer.slice(stdout.byteOffset + o, stdout.byteOffset + o + frameBytes));
    frames.push({ width, height, y: all.subarray(0, ySize), u: all.subarray(ySize, ySize + cSize), v: all.subarray(ySize + cSize) });
  }
  if (frames.length === 0) throw new Error(`${file}: no frames decoded`);
  return frames;
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Mean of a plane over `r` (luma coordinates; chroma planes use r/2). */
export function mean(f: Yuv10Frame, plane: "y" | "u" | "v", r: Rect): number {
  const data = f[plane];
  const s = plane === "y" ? 1 : 2;
  const stride = f.width / s;
  let sum = 0;
  let n = 0;
  for (let y = Math.ceil(r.y / s); y < Math.floor((r.y + r.h) / s); y++) {
    for (let x = Math.ceil(r.x / s); x < Math.floor((r.x + r.w) / s); x++) {
      sum += data[y * stride + x]!;
      n++;
    }
  }
  return sum / n;
}

/** Largest |value − expected| of a plane over `r`. */
export function maxDev(f: Yuv10Frame, plane: "y" | "u" | "v", r: Rect, expected: number): number {
  const data = f[plane];
  const s = plane === "y" ? 1 : 2;
  const stride = f.width / s;
  let worst = 0;
  for (let y = Math.ceil(r.y / s); y < Math.floor((r.y + r.h) / s); y++) {
    for (let x = Math.ceil(r.x / s); x < Math.floor((r.x + r.w) / s); x++) worst = Math.max(worst, Math.abs(data[y * stride + x]! - expected));
  }
  return worst;
}

/** Y-plane PSNR (10-bit peak 1023) of region `ra` in `a` against region at (bx, by) of the same size in `b`. */
export function psnrY(a: Yuv10Frame, ra: Rect, b: Yuv10Frame, bx = ra.x, by = ra.y): number {
  let se = 0;
  for (let y = 0; y < ra.h; y++) {
    for (let x = 0; x < ra.w; x++) {
      const d = a.y[(ra.y + y) * a.width + ra.x + x]! - b.y[(by + y) * b.width + bx + x]!;
      se += d * d;
    }
  }
  const mse = se / (ra.w * ra.h);
  return mse === 0 ? Infinity : 10 * Math.log10((1023 * 1023) / mse);
}

/** Whole-frame, all-plane largest absolute difference and Y PSNR between two decoded videos (same frame count). */
export function compareVideos(a: Yuv10Frame[], b: Yuv10Frame[]): { maxDiff: number; minPsnr: number } {
  if (a.length !== b.length) throw new Error(`frame counts differ: ${a.length} vs ${b.length}`);
  let maxDiff = 0;
  let minPsnr = Infinity;
  for (let i = 0; i < a.length; i++) {
    for (const p of ["y", "u", "v"] as const) {
      const pa = a[i]![p], pb = b[i]![p];
      for (let k = 0; k < pa.length; k++) maxDiff = Math.max(maxDiff, Math.abs(pa[k]! - pb[k]!));
    }
    const full = { x: 0, y: 0, w: a[i]!.width, h: a[i]!.height };
    minPsnr = Math.min(minPsnr, psnrY(a[i]!, full, b[i]!));
  }
  return { maxDiff, minPsnr };
}

export interface HdrProbe {
  codec_name: string;
  codec_tag_string: string;
  pix_fmt: string;
  color_range?: string;
  color_space?: string;
  color_transfer?: string;
  color_primaries?: string;
  width: number;
  height: number;
}

export async function probeVideo(file: string): Promise<HdrProbe> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_streams", "-of", "json", file]);
  return JSON.parse(stdout).streams[0] as HdrProbe;
}

/** side_data_type of every side data record on the first frame. */
export async function firstFrameSideData(file: string): Promise<string[]> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-read_intervals", "%+#1", "-show_frames", "-of", "json", file], { maxBuffer: BIG });
  const frames = JSON.parse(stdout).frames as { side_data_list?: { side_data_type: string }[] }[];
  return (frames[0]?.side_data_list ?? []).map((s) => s.side_data_type);
}

/** Runs the CLI with `--json`; resolves with the parsed JSON line, stderr and the exit code. */
export function cliJson(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; json: any; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, "--json"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = stdout.trim().split("\n").at(-1) ?? "";
      let json: unknown = null;
      try {
        json = JSON.parse(line);
      } catch {
        /* left null: the assertion shows stdout/stderr */
      }
      resolve({ code, json: json ?? { stdout, stderr }, stderr });
    });
  });
}

// ----- transfer maths (DESIGN.md "HDR facts", docs/hdr-native.md) ----------------------------

const M1 = 2610 / 16384, M2 = (2523 / 4096) * 128, C1 = 3424 / 4096, C2 = (2413 / 4096) * 32, C3 = (2392 / 4096) * 32;

/** PQ signal of an absolute luminance in nits. */
export function pqEncode(nits: number): number {
  const l = Math.pow(Math.max(0, nits) / 10000, M1);
  return Math.pow((C1 + C2 * l) / (1 + C3 * l), M2);
}

const HA = 0.17883277, HB = 1 - 4 * HA, HC = 0.5 - HA * Math.log(4 * HA);

/** HLG signal for a neutral of `nits` on a 1000-nit display (per-component inverse OOTF γ 1.2, then OETF). */
export function hlgEncode(nits: number): number {
  const e = Math.pow(Math.min(1, nits / 1000), 1 / 1.2);
  return e <= 1 / 12 ? Math.sqrt(3 * e) : HA * Math.log(12 * e - HB) + HC;
}

/** 10-bit limited-range luma code of a signal 0..1. */
export const yCode = (signal: number): number => 64 + 876 * signal;
