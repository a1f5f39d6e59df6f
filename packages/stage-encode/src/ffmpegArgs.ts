/**
 * Pure translation of EncodeSettings (plus the frame source) into an ffmpeg argument list.
 * No I/O, no process: everything here is unit-tested without ffmpeg (ffmpegArgs.test.ts).
 *
 * Decisions recorded here:
 * - `-bf 0` for libx264 and `bframes=0` for libx265 (as HyperFrames does): no B-frames means no
 *   reordering delay, no negative DTS / edit list at the start of a file, so chunks encoded over
 *   `[from, to)` concatenate without re-encoding and decode frame-exact. The cost (a few % of
 *   bitrate at equal CRF) is worth it.
 * - sRGB inputs (jpeg/png/rgba) into YUV outputs go through `scale` with an explicit
 *   `out_color_matrix`/`out_range` (BT.709, limited by default): swscale's default is BT.601,
 *   which would shift colours against the BT.709 tags we write. JPEG frames decode as JFIF
 *   (BT.601 full range YCbCr), so their input side is named explicitly too.
 * - `segment: true` (a chunk of a distributed render, joined later by stream copy in assemble.ts)
 *   changes only what joining needs: the first frame is a forced IDR, GOPs are closed, x264/x265
 *   repeat their headers, no scenecut keyframes, no audio and no faststart. Every other encoder
 *   setting is the whole render's, so the joined file looks like one encode.
 */
import path from "node:path";
import { fpsToString, type ColourTags, type EncodeSettings, type FrameEncoding, type Fps } from "@frameloom/shared-helpers";
import { FrameloomError } from "@frameloom/shared-helpers";
import { EncodeErrors } from "./errors.js";

/** Where ffmpeg reads frames from. */
export type FfmpegInput =
  | { kind: "pipe"; encoding: FrameEncoding }
  /**
   * JPEG frames in a Matroska stream on stdin, with timestamps (matroskaPipe.ts): a frame left out repeats the
   * previous picture (`-fps_mode cfr`), so a frame the capture repeated is neither sent nor decoded again.
   */
  | { kind: "timed"; encoding: "jpeg" }
  /** `pattern` is an absolute image2 pattern (e.g. `/tmp/x/frame_%06d.jpg`), numbered by absolute frame index. */
  | { kind: "files"; encoding: "jpeg" | "png"; pattern: string; startNumber: number };

export interface FfmpegArgsOptions {
  /** Composition size in pixels (what each frame holds). */
  width: number;
  height: number;
  fps: Fps;
  input: FfmpegInput;
  /** Exact number of frames the output holds (`to - from`). */
  frames: number;
  /** Output file; for png-sequence the directory the numbered files go into. */
  outputPath: string;
  settings: EncodeSettings;
  /** Ignored for segments (audio is muxed once, at assembly). */
  audioPath?: string;
  /** A chunk `[from, to)` of a distributed render, to be joined with its neighbours by stream copy. */
  segment?: boolean;
}

const CODEC_FOR_FORMAT: Record<EncodeSettings["format"], readonly EncodeSettings["codec"][]> = {
  mp4: ["libx264", "libx265"],
  webm: ["libvpx-vp9"],
  mov: ["prores_ks"],
  gif: ["gif"],
  "png-sequence": ["png"],
};

const MUXER: Record<EncodeSettings["format"], string> = {
  mp4: "mp4",
  webm: "webm",
  mov: "mov",
  gif: "gif",
  "png-sequence": "image2",
};

export const DEFAULT_CRF = 18;
export const SDR_TAGS: ColourTags = { primaries: "bt709", transfer: "bt709", matrix: "bt709", range: "tv" };

function settingsError(message: string): FrameloomError {
  return new FrameloomError(EncodeErrors.SETTINGS_INVALID, `encode settings: ${message}`);
}

/** Throws FLM_ERR_ENCODE_SETTINGS_INVALID when the settings do not describe an encode we can do. */
export function validateSettings(settings: EncodeSettings): void {
  const allowed = CODEC_FOR_FORMAT[settings.format];
  if (!allowed) throw settingsError(`unknown format "${String(settings.format)}"`);
  if (!allowed.includes(settings.codec)) {
    throw settingsError(`codec "${settings.codec}" cannot write format "${settings.format}" (use ${allowed.join(" or ")})`);
  }
  if (settings.crf !== undefined && settings.bitrate !== undefined) throw settingsError("crf and bitrate are mutually exclusive");
  if (settings.crf !== undefined && (!Number.isInteger(settings.crf) || settings.crf < 0 || settings.crf > 63)) {
    throw settingsError(`crf ${settings.crf} is not an integer in 0-63`);
  }
  if (settings.loop !== undefined && (!Number.isInteger(settings.loop) || settings.loop < -1 || settings.loop > 65535)) {
    throw settingsError(`loop ${settings.loop} is not an integer in -1..65535`);
  }
  if (settings.format === "mov" && settings.bitrate !== undefined) throw settingsError("prores has no bitrate control");
}

/** Throws FLM_ERR_ENCODE_SETTINGS_INVALID when the settings cannot be rendered in segments (gif). */
export function validateSegmentSettings(settings: EncodeSettings): void {
  validateSettings(settings);
  // One palette per file and no stream-copy join for GIF: a chunked gif would change colours per chunk.
  if (settings.format === "gif") throw settingsError("gif cannot be rendered in segments (render it whole, or use png-sequence)");
}

/** Bytes of one raw frame, or null for compressed encodings. */
export function rawFrameBytes(encoding: FrameEncoding, width: number, height: number): number | null {
  switch (encoding) {
    case "rgba":
      return width * height * 4;
    case "rgb48le":
      return width * height * 6;
    case "rgba64le":
      return width * height * 8;
    case "yuv420p10le":
      return (width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2)) * 2;
    default:
      return null;
  }
}

/** swscale's name for a colour matrix tag (`bt2020nc` → `bt2020`, `smpte170m` → `bt601`). */
export function swsMatrix(matrix: string): string {
  if (matrix.startsWith("bt2020")) return "bt2020";
  if (matrix === "smpte170m" || matrix === "bt470bg" || matrix === "bt601") return "bt601";
  return matrix;
}

const isYuv = (pixelFormat: string): boolean => pixelFormat.startsWith("yuv");

/** The colour tags an output gets: the settings' own, else BT.709 limited for YUV outputs, none otherwise. */
export function outputColour(settings: EncodeSettings): ColourTags | undefined {
  if (settings.colour) return settings.colour;
  return isYuv(settings.pixelFormat) ? SDR_TAGS : undefined;
}

function inputArgs(o: FfmpegArgsOptions): string[] {
  const rate = fpsToString(o.fps);
  const { input } = o;
  if (input.kind === "files") {
    return ["-f", "image2", "-framerate", rate, "-start_number", String(input.startNumber), "-i", input.pattern];
  }
  if (input.kind === "timed") return ["-f", "matroska", "-i", "pipe:0"];
  switch (input.encoding) {
    case "jpeg":
      return ["-f", "image2pipe", "-c:v", "mjpeg", "-framerate", rate, "-i", "pipe:0"];
    case "png":
      return ["-f", "image2pipe", "-c:v", "png", "-framerate", rate, "-i", "pipe:0"];
    default:
      return ["-f", "rawvideo", "-pix_fmt", input.encoding, "-s", `${o.width}x${o.height}`, "-framerate", rate, "-i", "pipe:0"];
  }
}

/** The `-vf` graph for the output (conversion, padding, gif palette). */
export function videoFilter(o: Pick<FfmpegArgsOptions, "width" | "height" | "input" | "settings">): string {
  const { settings } = o;
  if (settings.format === "gif") {
    return (
      "format=rgba,split[a][b];[a]palettegen=stats_mode=diff:reserve_transparent=1[p];" +
      "[b][p]paletteuse=dither=sierra2_4a:alpha_threshold=128"
    );
  }
  const filters: string[] = [];
  const evenOnly = settings.codec === "libx264" || settings.codec === "libx265";
  if (evenOnly && (o.width % 2 !== 0 || o.height % 2 !== 0)) filters.push("pad=ceil(iw/2)*2:ceil(ih/2)*2");
  const colour = outputColour(settings);
  if (isYuv(settings.pixelFormat) && colour) {
    const matrix = swsMatrix(colour.matrix);
    const scale: string[] = [];
    if (o.input.encoding === "jpeg") {
      // JPEG is 4:2:0 Y'CbCr (BT.601, full range): go through RGB with full chroma interpolation.
      // Converting Y'CbCr to Y'CbCr directly re-uses the JPEG's chroma samples with the wrong siting
      // and costs ~2.5 dB PSNR end to end (measured on the bench page: 36.6 vs 39.2 dB).
      filters.push("scale=in_range=pc:in_color_matrix=bt601:flags=bicubic+full_chroma_int+accurate_rnd", "format=gbrp");
      scale.push("flags=bicubic+full_chroma_inp+accurate_rnd");
    }
    if (o.input.encoding === "yuv420p10le") scale.push("in_range=tv", `in_color_matrix=${matrix}`);
    scale.push(`out_color_matrix=${matrix}`, `out_range=${colour.range}`);
    filters.push(`scale=${scale.join(":")}`);
  }
  filters.push(`format=${settings.pixelFormat}`);
  // Tag the frames themselves: some encoders (prores_ks) take colour properties from the frames,
  // not from the -color_* options.
  if (colour && settings.format !== "png-sequence") {
    filters.push(
      `setparams=color_primaries=${colour.primaries}:color_trc=${colour.transfer}:colorspace=${colour.matrix}:range=${colour.range}`,
    );
  }
  return filters.join(",");
}

/** The colour tags written on the container/stream: none for gif and png-sequence. */
export function containerColour(settings: EncodeSettings): ColourTags | undefined {
  return settings.format === "gif" || settings.format === "png-sequence" ? undefined : outputColour(settings);
}

/** `-colorspace/-color_primaries/-color_trc/-color_range` for the tags (they also tag stream copies). */
export function colourArgs(colour: ColourTags | undefined): string[] {
  if (!colour) return [];
  return [
    "-colorspace", colour.matrix,
    "-color_primaries", colour.primaries,
    "-color_trc", colour.transfer,
    "-color_range", colour.range,
  ];
}

function rateControl(settings: EncodeSettings): string[] {
  if (settings.bitrate !== undefined) return ["-b:v", settings.bitrate];
  return ["-crf", String(settings.crf ?? DEFAULT_CRF)];
}

/** VP9 `-deadline`: `good|realtime|best` pass through; x264-style fast presets map to realtime. */
export function vp9Deadline(speed: string | undefined): string {
  if (speed === "good" || speed === "realtime" || speed === "best") return speed;
  if (speed === "ultrafast" || speed === "superfast" || speed === "veryfast") return "realtime";
  return "good";
}

/**
 * x264/x265 params a segment adds after the settings' own codecParams (last one wins), so that
 * user params cannot reopen a GOP. open-gop=0 is x264's default; it is spelt out so the intent
 * survives a changed default.
 */
export const SEGMENT_X264_PARAMS = "scenecut=0:open-gop=0:repeat-headers=1";
export const SEGMENT_X265_PARAMS = "scenecut=0:open-gop=0:repeat-headers=1";

/** Forces an IDR on the segment's first frame (`-forced-idr` makes x264/x265 use IDR, not a recovery-point I). */
function segmentKeyframeArgs(settings: EncodeSettings): string[] {
  switch (settings.codec) {
    case "libx264":
    case "libx265":
      return ["-force_key_frames", "expr:eq(n,0)", "-forced-idr", "1"];
    case "libvpx-vp9":
      return ["-force_key_frames", "expr:eq(n,0)"];
    default:
      // prores: every frame is intra; png: every file stands alone.
      return [];
  }
}

function codecArgs(settings: EncodeSettings, segment: boolean): string[] {
  const colour = outputColour(settings);
  switch (settings.codec) {
    case "libx264": {
      const speed = settings.speed ?? "medium";
      const params = ["aq-mode=3", ...(speed === "ultrafast" ? [] : ["aq-strength=0.8", "deblock=1,1"])];
      if (settings.codecParams) params.push(settings.codecParams);
      if (segment) params.push(SEGMENT_X264_PARAMS);
      return ["-c:v", "libx264", "-preset", speed, ...rateControl(settings), "-bf", "0", "-pix_fmt", settings.pixelFormat,
        "-x264-params", params.join(":")];
    }
    case "libx265": {
      const c = colour ?? SDR_TAGS;
      const params = [
        "log-level=error",
        "bframes=0",
        `colorprim=${c.primaries}`,
        `transfer=${c.transfer}`,
        `colormatrix=${c.matrix}`,
        `range=${c.range === "pc" ? "full" : "limited"}`,
      ];
      if (settings.codecParams) params.push(settings.codecParams);
      if (segment) params.push(SEGMENT_X265_PARAMS);
      return ["-c:v", "libx265", "-preset", settings.speed ?? "medium", ...rateControl(settings), "-pix_fmt", settings.pixelFormat,
        "-tag:v", "hvc1", "-x265-params", params.join(":")];
    }
    case "libvpx-vp9": {
      const rc = settings.bitrate !== undefined ? ["-b:v", settings.bitrate] : ["-crf", String(settings.crf ?? DEFAULT_CRF), "-b:v", "0"];
      return ["-c:v", "libvpx-vp9", "-pix_fmt", settings.pixelFormat, ...rc, "-deadline", vp9Deadline(settings.speed),
        "-row-mt", "1", "-auto-alt-ref", "0"];
    }
    case "prores_ks":
      return ["-c:v", "prores_ks", "-profile:v", "4", "-vendor", "apl0", "-pix_fmt", settings.pixelFormat];
    case "gif":
      return ["-c:v", "gif", "-loop", String(settings.loop ?? 0)];
    case "png":
      return ["-c:v", "png", "-pix_fmt", settings.pixelFormat || "rgba", "-start_number", "1"];
  }
}

function audioArgs(settings: EncodeSettings, hasAudio: boolean): string[] {
  if (!hasAudio) return ["-map", "0:v:0"];
  const codec =
    settings.format === "webm" ? ["-c:a", "libopus", "-b:a", "128k"] : ["-c:a", "aac", "-b:a", "192k"];
  return ["-map", "0:v:0", "-map", "1:a:0", ...codec];
}

/**
 * How the output is cut to the range. Video only: `-frames:v N`. With audio: `-t N/fps` (rounded
 * up to the µs) and no frame limit: ffmpeg 5.1 stops muxing at the N-th video frame and leaves the
 * audio ~0.1 s short (`-shortest` too), while `-t` ends both streams at N/fps with exactly N frames.
 */
function lengthArgs(frames: number, fps: Fps, hasAudio: boolean): string[] {
  if (!hasAudio) return ["-frames:v", String(frames)];
  return ["-t", (Math.ceil(((frames * fps.den) / fps.num) * 1e6) / 1e6).toFixed(6)];
}

/** Formats that take an audio track (gif and png-sequence do not). */
export const takesAudio = (format: EncodeSettings["format"]): boolean => format === "mp4" || format === "webm" || format === "mov";

/** Whether the encode muxes `audioPath`: a format with audio, and not a segment (segments get audio at assembly). */
export function muxesAudio(o: Pick<FfmpegArgsOptions, "settings" | "audioPath" | "segment">): boolean {
  return o.audioPath !== undefined && o.segment !== true && takesAudio(o.settings.format);
}

/** The output file ffmpeg writes: the path itself, or the numbered pattern inside the directory for png-sequence. */
export function ffmpegOutputTarget(settings: EncodeSettings, outputPath: string): string {
  return settings.format === "png-sequence" ? path.join(outputPath, "frame_%06d.png") : outputPath;
}

/** Full ffmpeg argument list (without the binary). Validates the settings first. */
export function buildFfmpegArgs(o: FfmpegArgsOptions): string[] {
  const segment = o.segment === true;
  if (segment) validateSegmentSettings(o.settings);
  else validateSettings(o.settings);
  const { settings } = o;
  const hasAudio = muxesAudio(o);
  const rate = fpsToString(o.fps);
  return [
    "-hide_banner", "-nostdin", "-loglevel", "info", "-nostats", "-progress", "pipe:1", "-y",
    ...inputArgs(o),
    ...(hasAudio ? ["-i", o.audioPath as string] : []),
    ...audioArgs(settings, hasAudio),
    "-vf", videoFilter(o),
    ...lengthArgs(o.frames, o.fps, hasAudio),
    "-r", rate,
    ...(o.input.kind === "timed" ? ["-fps_mode", "cfr"] : []),
    ...codecArgs(settings, segment),
    ...(segment ? segmentKeyframeArgs(settings) : []),
    ...colourArgs(containerColour(settings)),
    // A segment is read once, by the assembler: moving its index to the front would only cost time.
    ...(settings.format === "mp4" && !segment ? ["-movflags", "+faststart"] : []),
    ...(settings.extraArgs ?? []),
    "-f", MUXER[settings.format],
    ffmpegOutputTarget(settings, o.outputPath),
  ];
}
