/**
 * ffprobe / ffmpeg helpers for the expectations: probe an output, decode chosen frames to raw RGBA
 * or yuv420p10le, decode audio to f32le 48 kHz (mono = mean of the channels). An output is a video
 * file or a png-sequence directory (`frame_000001.png…`, 1-based).
 */
import { execFile } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const BIG = 1024 * 1024 * 1024;
export const AUDIO_RATE = 48000;

/**
 * @typedef {Record<string, any>} Stream  one ffprobe stream object
 * @typedef {{ kind: "video" | "png-sequence", path: string, files: string[], video: Stream, audio: Stream | null, packets: number }} Probed
 */

/** The png files of a sequence directory, sorted. @param {string} dir */
export async function pngFiles(dir) {
  return (await readdir(dir)).filter((f) => /^frame_\d{6}\.png$/.test(f)).sort();
}

/** @param {string[]} args */
async function ffprobeJson(args) {
  const { stdout } = await run("ffprobe", ["-v", "error", "-of", "json", ...args], { maxBuffer: BIG });
  return JSON.parse(stdout);
}

/**
 * Probes an output once: first video and audio streams, packet count (= frames for every format
 * Frameloom writes), png file list.
 * @param {string} output
 * @returns {Promise<Probed>}
 */
export async function probe(output) {
  const info = await stat(output);
  if (info.isDirectory()) {
    const files = await pngFiles(output);
    if (files.length === 0) throw new Error(`${output}: no frame_NNNNNN.png files`);
    const { streams } = await ffprobeJson(["-show_streams", path.join(output, files[0])]);
    return { kind: "png-sequence", path: output, files, video: streams[0], audio: null, packets: files.length };
  }
  const { streams } = await ffprobeJson(["-count_packets", "-show_streams", output]);
  const video = streams.find((/** @type {Stream} */ s) => s.codec_type === "video");
  if (!video) throw new Error(`${output}: no video stream`);
  const audio = streams.find((/** @type {Stream} */ s) => s.codec_type === "audio") ?? null;
  return { kind: "video", path: output, files: [], video, audio, packets: Number(video.nb_read_packets) };
}

/** First frame's side_data_type list (HDR10 mastering display / content light level). @param {string} file */
export async function firstFrameSideData(file) {
  const { frames } = await ffprobeJson(["-select_streams", "v:0", "-read_intervals", "%+#1", "-show_frames", file]);
  return (frames?.[0]?.side_data_list ?? []).map((/** @type {{ side_data_type: string }} */ s) => s.side_data_type);
}

/** The decoder that keeps alpha (ffmpeg's native VP8/VP9 decoders drop it). @param {Stream} s */
function decoderFor(s) {
  if (s.codec_name === "vp9") return ["-c:v", "libvpx-vp9"];
  if (s.codec_name === "vp8") return ["-c:v", "libvpx"];
  return [];
}

/** yuv → rgb matrix and range for swscale, from the stream's tags (BT.709 limited when untagged). @param {Stream} s */
function rgbScale(s) {
  const matrix = { bt2020nc: "bt2020", bt2020c: "bt2020", smpte170m: "smpte170m", bt470bg: "bt601" }[/** @type {string} */ (s.color_space)] ?? "bt709";
  const range = s.color_range === "pc" ? "pc" : "tv";
  return `scale=in_color_matrix=${matrix}:in_range=${range}:out_range=pc`;
}

/**
 * @typedef {{ width: number, height: number, format: "rgba" | "yuv420p10le", data: Buffer }} Picture
 */

/**
 * Decodes the given 0-based frames of an output. Frames past the end are missing from the map.
 * @param {Probed} probed
 * @param {number[]} frames
 * @param {"rgba" | "yuv420p10le"} format
 * @returns {Promise<Map<number, Picture>>}
 */
export async function decodeFrames(probed, frames, format) {
  const wanted = [...new Set(frames)].sort((a, b) => a - b);
  const { width, height } = probed.video;
  const size = format === "rgba" ? width * height * 4 : width * height * 3; // 4:2:0 at 2 bytes: (1 + 1/2) · 2
  /** @type {Map<number, Picture>} */
  const out = new Map();
  if (probed.kind === "png-sequence") {
    for (const k of wanted) {
      const file = path.join(probed.path, `frame_${String(k + 1).padStart(6, "0")}.png`);
      if (!(await stat(file).catch(() => null))) continue;
      const { stdout } = await run("ffmpeg", ["-v", "error", "-i", file, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", format, "-"], { encoding: "buffer", maxBuffer: BIG });
      out.set(k, { width, height, format, data: stdout });
    }
    return out;
  }
  const select = `select='${wanted.map((k) => `eq(n\\,${k})`).join("+")}'`;
  const filters = format === "rgba" ? `${select},${rgbScale(probed.video)}` : select;
  const { stdout } = await run(
    "ffmpeg",
    ["-v", "error", ...decoderFor(probed.video), "-i", probed.path, "-map", "0:v:0", "-vf", filters, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", format, "-"],
    { encoding: "buffer", maxBuffer: BIG },
  );
  const count = Math.floor(stdout.length / size);
  for (let i = 0; i < count; i++) out.set(wanted[i], { width, height, format, data: stdout.subarray(i * size, (i + 1) * size) });
  return out;
}

/**
 * Mean of each channel over a size×size block centred on (x, y), clipped to the picture:
 * [r, g, b, a] for rgba, [Y] (10-bit code) for yuv420p10le.
 * @param {Picture} pic
 * @param {number} x
 * @param {number} y
 * @param {number} [size]
 * @returns {number[]}
 */
export function sample(pic, x, y, size = 1) {
  const half = Math.floor((size - 1) / 2);
  const x0 = Math.max(0, Math.round(x) - half), y0 = Math.max(0, Math.round(y) - half);
  const x1 = Math.min(pic.width, x0 + size), y1 = Math.min(pic.height, y0 + size);
  const channels = pic.format === "rgba" ? 4 : 1;
  const sums = Array.from({ length: channels }, () => 0);
  let n = 0;
  for (let yy = y0; yy < y1; yy++) {
    for (let xx = x0; xx < x1; xx++) {
      if (pic.format === "rgba") {
        const o = (yy * pic.width + xx) * 4;
        for (let c = 0; c < 4; c++) sums[c] += pic.data[o + c];
      } else {
        sums[0] += pic.data.readUInt16LE((yy * pic.width + xx) * 2);
      }
      n++;
    }
  }
  return sums.map((s) => s / Math.max(1, n));
}

/**
 * The first audio stream decoded to 48 kHz float samples, mono = the mean of its channels (so a
 * stereo track with the same signal on both sides reads at that signal's level), or null when the
 * output has no audio stream.
 * @param {Probed} probed
 * @returns {Promise<Float32Array | null>}
 */
export async function decodeAudio(probed) {
  if (!probed.audio) return null;
  const channels = Math.max(1, Number(probed.audio.channels) || 1);
  const { stdout } = await run("ffmpeg", ["-v", "error", "-i", probed.path, "-map", "0:a:0", "-ac", String(channels), "-ar", String(AUDIO_RATE), "-f", "f32le", "-"], {
    encoding: "buffer",
    maxBuffer: BIG,
  });
  const all = new Float32Array(stdout.buffer.slice(stdout.byteOffset, stdout.byteOffset + stdout.length - (stdout.length % (4 * channels))));
  const mono = new Float32Array(all.length / channels);
  for (let i = 0; i < mono.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += all[i * channels + c];
    mono[i] = sum / channels;
  }
  return mono;
}

/**
 * RMS level (dBFS) of samples in [from, to) seconds; −Infinity for digital silence.
 * @param {Float32Array} samples
 * @param {number} from
 * @param {number} to
 */
export function rmsDb(samples, from, to) {
  const a = Math.max(0, Math.round(from * AUDIO_RATE)), b = Math.min(samples.length, Math.round(to * AUDIO_RATE));
  let sum = 0;
  for (let i = a; i < b; i++) sum += samples[i] * samples[i];
  const rms = Math.sqrt(sum / Math.max(1, b - a));
  return rms === 0 ? -Infinity : 20 * Math.log10(rms);
}
