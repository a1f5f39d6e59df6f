/** ffprobe / ffmpeg helpers: probe, decode one frame to raw RGBA, read pixels, PSNR. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
const BIG = 512 * 1024 * 1024;

export interface ProbeStream {
  codec_name: string;
  codec_type: string;
  width: number;
  height: number;
  pix_fmt: string;
  r_frame_rate: string;
  nb_frames?: string;
  nb_read_frames?: string;
  tags?: Record<string, string>;
}

export async function ffprobe(file: string, countFrames = false): Promise<{ streams: ProbeStream[]; format: Record<string, unknown> }> {
  const args = ["-v", "error", "-print_format", "json", "-show_streams", "-show_format"];
  if (countFrames) args.push("-count_frames");
  const { stdout } = await run("ffprobe", [...args, file], { maxBuffer: BIG });
  return JSON.parse(stdout);
}

export async function videoStream(file: string, countFrames = false): Promise<ProbeStream> {
  const probe = await ffprobe(file, countFrames);
  const stream = probe.streams.find((s) => s.codec_type === "video");
  if (!stream) throw new Error(`${file}: no video stream`);
  return stream;
}

/** Decoded frame count (ffprobe -count_frames). */
export async function frameCountOf(file: string, decoder?: string): Promise<number> {
  if (decoder) {
    const { stderr } = await run("ffmpeg", ["-v", "info", "-c:v", decoder, "-i", file, "-map", "0:v:0", "-f", "null", "-"], { maxBuffer: BIG });
    const matches = [...stderr.matchAll(/frame=\s*(\d+)/g)];
    return Number(matches.at(-1)![1]);
  }
  const s = await videoStream(file, true);
  return Number(s.nb_read_frames);
}

export interface RgbaFrame {
  width: number;
  height: number;
  data: Buffer;
}

/**
 * Decodes frame `index` (0-based, output order) to RGBA. `decoder` forces a decoder (libvpx-vp9 for
 * VP9 alpha). Colour conversion uses BT.709 limited range for YUV sources (what the presets write).
 */
export async function decodeFrame(file: string, index: number, opts: { decoder?: string } = {}): Promise<RgbaFrame> {
  const s = await videoStream(file);
  const args = ["-v", "error"];
  if (opts.decoder) args.push("-c:v", opts.decoder);
  args.push(
    "-i", file,
    "-vf", `select=eq(n\\,${index}),scale=in_color_matrix=bt709:in_range=tv:out_range=pc`,
    "-fps_mode", "passthrough", "-frames:v", "1",
    "-f", "rawvideo", "-pix_fmt", "rgba", "-",
  );
  const { stdout } = await run("ffmpeg", args, { encoding: "buffer", maxBuffer: BIG });
  const expected = s.width * s.height * 4;
  if (stdout.length !== expected) throw new Error(`${file} frame ${index}: got ${stdout.length} bytes, expected ${expected}`);
  return { width: s.width, height: s.height, data: stdout };
}

/** Decodes a still image (PNG) to RGBA. */
export async function decodeImage(file: string): Promise<RgbaFrame> {
  return decodeFrame(file, 0);
}

export type Rgba = [number, number, number, number];

export function pixel(frame: RgbaFrame, x: number, y: number): Rgba {
  const o = (Math.round(y) * frame.width + Math.round(x)) * 4;
  const d = frame.data;
  return [d[o]!, d[o + 1]!, d[o + 2]!, d[o + 3]!];
}

/** True when every given channel of `actual` is within `tol` of `expected` (alpha compared only if given). */
export function near(actual: Rgba, expected: number[], tol = 12): boolean {
  return expected.every((v, i) => Math.abs(actual[i]! - v) <= tol);
}

export function hex(c: string): number[] {
  const n = parseInt(c.replace("#", ""), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Average PSNR (dB) of b against a over all frames; Infinity when identical. Also fails on frame-count mismatch. */
export async function psnr(a: string, b: string): Promise<number> {
  const { stderr } = await run(
    "ffmpeg",
    ["-v", "info", "-i", a, "-i", b, "-lavfi", "[0:v][1:v]psnr=shortest=0:eof_action=endall", "-f", "null", "-"],
    { maxBuffer: BIG },
  );
  const m = /PSNR .*average:(inf|[\d.]+)/.exec(stderr);
  if (!m) throw new Error(`no PSNR in ffmpeg output:\n${stderr.slice(-2000)}`);
  return m[1] === "inf" ? Infinity : Number(m[1]);
}

/** Decodes every frame to RGBA (small videos only). */
export async function decodeAll(file: string, opts: { decoder?: string } = {}): Promise<RgbaFrame[]> {
  const s = await videoStream(file);
  const args = ["-v", "error"];
  if (opts.decoder) args.push("-c:v", opts.decoder);
  args.push("-i", file, "-vf", "scale=in_color_matrix=bt709:in_range=tv:out_range=pc", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgba", "-");
  const { stdout } = await run("ffmpeg", args, { encoding: "buffer", maxBuffer: BIG });
  const size = s.width * s.height * 4;
  const frames: RgbaFrame[] = [];
  for (let o = 0; o + size <= stdout.length; o += size) frames.push({ width: s.width, height: s.height, data: stdout.subarray(o, o + size) });
  return frames;
}
