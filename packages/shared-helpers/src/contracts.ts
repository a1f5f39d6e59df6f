/**
 * The contracts every stage and the kernel speak. Stages import these from here, never from the
 * kernel or from each other: this is what keeps the package graph free of cycles.
 */
import type { Fps, FrameRange } from "./frames.js";
import type { VideoStreamInfo } from "./media.js";

// ---------------------------------------------------------------------------------------------
// Frames and artifacts

/** How a frame's bytes are encoded. `jpeg`/`png` are files as Chromium gives them; the others are raw. */
export type FrameEncoding = "jpeg" | "png" | "rgba" | "rgb48le" | "rgba64le" | "yuv420p10le";

/** One captured (or composited) frame. `index` is the absolute composition frame number. */
export interface Frame {
  index: number;
  encoding: FrameEncoding;
  data: Buffer;
}

/** Frames flow as an async iterable: the consumer pulls, so a slow encoder slows capture (back-pressure). */
export type FrameStream = AsyncIterable<Frame>;

/**
 * The frames of `[range.from, range.to)` as one stage hands them to the next: a stream in index
 * order, a stream of layer stacks still to be composited, or numbered files in a directory.
 */
export type Frames =
  | { kind: "stream"; range: FrameRange; frames: FrameStream }
  | { kind: "layered"; range: FrameRange; frames: AsyncIterable<LayeredFrame> }
  | { kind: "directory"; range: FrameRange; onDisk: FramesOnDisk };

/** Frames written to disk by the disk route: `dir/<prefix><index zero-padded to 6>.<ext>`. */
export interface FramesOnDisk {
  dir: string;
  encoding: "jpeg" | "png";
  /** ffmpeg pattern relative to `dir`, e.g. `frame_%06d.jpg`, numbered by absolute frame index. */
  pattern: string;
  range: FrameRange;
}

/** `frame_000123`: the name every per-frame file of a render starts with (absolute frame index). */
export function frameStem(index: number): string {
  return `frame_${String(index).padStart(6, "0")}`;
}

export function frameFileName(index: number, encoding: "jpeg" | "png"): string {
  return `${frameStem(index)}.${encoding === "jpeg" ? "jpg" : "png"}`;
}

// ---------------------------------------------------------------------------------------------
// The composition, as compiled

/** Colour transfer of a media source, from ffprobe: smpte2084 → pq, arib-std-b67 → hlg, else sdr. */
export type MediaTransfer = "pq" | "hlg" | "sdr";

export interface MediaSource {
  kind: "video" | "audio" | "image";
  /** Set when probed (videos and images): decides HDR mode and layered capture. */
  transfer?: MediaTransfer;
  /** Absolute path inside the project. */
  path: string;
  /** The element's id (or a compiler-assigned one). */
  id: string;
  start: number;
  duration: number | null;
  mediaStart: number;
  /** `data-playback-rate`, clamped to [0.1, 5] (COMPOSITION.md §2.3); 1 when absent or invalid. */
  playbackRate?: number;
  /** `loop`: frames wrap to fill the slot. */
  loop?: boolean;
  /** Probed length of the file in seconds, when known. */
  sourceDuration?: number | null;
  /** Static linear gain, `data-volume` clamped to [0, 3.981] (+12 dB); 1 when absent (§2.3). */
  volume?: number;
  /** The element's sound goes into the mix: `<audio>` always; `<video>` unless muted or data-has-audio≠"true" (§2.3). */
  hasAudio?: boolean;
}

/** The mixed soundtrack of a render, as the audio stage leaves it for the encoder. */
export interface AudioTrack {
  /** Absolute path of the mixed track (AAC 48 kHz stereo), exactly the range's length. */
  path: string;
  durationSec: number;
}

/**
 * Seconds into a media file after its data-media-start at composition time `t` (COMPOSITION.md
 * §4.1): (t − start) × rate, wrapped for `loop` by the playable length; ≥ 0. Past the end the
 * decoder holds the last frame.
 */
export function mediaLocalTime(source: MediaSource, t: number): number {
  const local = Math.max(0, t - source.start) * (source.playbackRate ?? 1);
  const length = source.sourceDuration != null ? source.sourceDuration - source.mediaStart : null;
  return source.loop && length !== null && length > 0 ? local % length : local;
}

/**
 * The part of [from, to) (composition seconds) in which the element's window [start, start + duration)
 * lies (duration null: to the end), or null when they do not meet. Half-open on both: clip edges snap
 * onto frame edges, so a window that only touches the range at an edge shows in none of its frames.
 * Capture (which clips to extract) and the plan dir (which files a chunk needs) decide with this one rule.
 */
export function mediaWindowIn(source: Pick<MediaSource, "start" | "duration">, from: number, to: number): { start: number; end: number } | null {
  const start = Math.max(from, source.start);
  const end = Math.min(to, source.duration === null ? to : source.start + source.duration);
  return end > start ? { start, end } : null;
}

export interface Composition {
  /** `data-composition-id` of the root. */
  id: string;
  /** Absolute path of the project directory the file server serves. */
  projectDir: string;
  /** Absolute path of the entry HTML file. */
  entryFile: string;
  /** Entry path relative to projectDir, URL form (`index.html`, `scenes/a.html`). */
  entryUrlPath: string;
  /** The compiled document served instead of the entry file (wrapped fragment, stamped attributes). */
  html: string;
  width: number;
  height: number;
  fps: Fps;
  /** Seconds; > 0. */
  durationSec: number;
  /** frameCount(durationSec, fps). */
  totalFrames: number;
  media: MediaSource[];
}

export interface LayerPlan {
  /** Output signal: PQ or HLG (BT.2020), or SDR (BT.709 primaries, sRGB curve, like the page). */
  output: "pq" | "hlg" | "sdr";
  compositor: "native" | "reference";
  /** The output keeps the stack's coverage as alpha (rgba64le frames; e.g. ProRes 4444 HDR). */
  alpha: boolean;
  /** `MediaSource.id` of every element the compositor paints (every video; HDR stills in an HDR render). */
  mediaIds: string[];
}

/** What the plan stage probed of one media file (one ffprobe per file per render). */
export interface ProbedMedia {
  /** First video stream (videos and still images); null when the file has none. */
  video: VideoStreamInfo | null;
  /** First audio stream; null when the file has none. */
  audio: { channels: number; durationSec: number | null } | null;
  /** Container duration, seconds, when known. */
  durationSec: number | null;
}

// ---------------------------------------------------------------------------------------------
// The render plan: every decision a frame renderer needs, made once by the `plan` stage

/** Why the render is HDR or SDR, and in which transfer (`--json` → `hdr`). */
export interface HdrDecision {
  /** What was asked for: `--hdr` auto (detect), hdr (force), sdr (force), or an HDR preset. */
  mode: "auto" | "hdr" | "sdr";
  /** The output transfer; null: SDR. */
  transfer: "pq" | "hlg" | null;
  /** One sentence: what decided it (a source found, the preset, the format, a flag). */
  reason: string;
}

/** HDR10 static content light level of the output, nits (CTA-861.3). */
export interface ContentLight {
  maxCll: number;
  maxFall: number;
  /** How it was measured (sources, frames sampled). */
  method: string;
}

/** One sound of the mix, as the plan decided it: the audio stage mixes exactly these. */
export interface PlannedAudioTrack {
  /** `MediaSource.id`. */
  id: string;
  path: string;
  /** Absolute composition time (s) where it starts sounding; ≥ 0. */
  start: number;
  /** Length of its window on the composition timeline (s); > 0. */
  length: number;
  /** Offset into the source (s), `data-media-start`; ≥ 0. */
  mediaStart: number;
  /** Playback rate (`data-playback-rate`, already clamped to [0.1, 5]). */
  rate: number;
  /** Static linear gain, already clamped to [0, 3.981]. */
  volume: number;
  /** Channels of the source's first audio stream (1 = mono: copied to both channels). */
  channels: number;
}

/** The output as the plan resolved it: the preset after HDR detection, with every override applied. */
export interface PlannedOutput {
  preset: string;
  encode: EncodeSettings;
  capture: CaptureSettings;
}

/**
 * One render, planned: JSON-serialisable (a worker on another machine renders any range of it).
 * `composition.media` carries the probed `transfer` and `sourceDuration`; capture marks up the
 * layered media (`layers.mediaIds`) in `composition.html` itself.
 */
export interface RenderPlan {
  planVersion: 1;
  composition: Composition;
  /** The frames the render covers, `[from, to)`. */
  range: FrameRange;
  /** Probed media, by `MediaSource.id`. */
  media: Record<string, ProbedMedia>;
  output: PlannedOutput;
  hdr: HdrDecision;
  /** Set when frames are captured as layers and composited (HDR, alpha-with-video, SDR with video); null: plain frames. */
  layers: LayerPlan | null;
  /** PQ output: measured content light level written as HDR10 metadata; null otherwise. */
  contentLight: ContentLight | null;
  /** The soundtrack's sounds; empty when nothing sounds or the format has no audio. */
  audio: PlannedAudioTrack[];
  warnings: string[];
}

// ---------------------------------------------------------------------------------------------
// HDR layered capture: one frame as a bottom-to-top stack of layers

/** A DOM layer: a full-frame transparent PNG screenshot with every HDR element and every other layer hidden. */
export interface DomLayerCapture {
  kind: "dom";
  png: Buffer;
  /** The layer did not change since the previous frame: `png` is the earlier capture (same Buffer). */
  reused: boolean;
}

/** Where an HDR media element is painted in this frame. Its pixels are decoded by the compositor. */
export interface MediaLayerPlacement {
  kind: "media";
  /** `MediaSource.id` of the HDR video or image. */
  mediaId: string;
  /** Seconds into the source after its data-media-start (composition time − start) × playback rate; ≥ 0. */
  localTime: number;
  /** Destination box in output pixels (may extend outside the frame). */
  rect: { x: number; y: number; width: number; height: number };
  /** Effective opacity 0..1 (the element's and its ancestors'). */
  opacity: number;
  fit: "cover" | "contain" | "fill";
  /**
   * The element's own 2-D CSS transform (transform-origin and translate/rotate/scale included), as a matrix
   * [a, b, c, d, e, f] from `rect` (its untransformed layout box) to output pixels; absent: none.
   */
  transform?: [number, number, number, number, number, number];
  /** Used border radii of `rect`, px: [top-left x, y, top-right x, y, bottom-right x, y, bottom-left x, y]; absent: none. */
  radius?: [number, number, number, number, number, number, number, number];
}

export type LayerCapture = DomLayerCapture | MediaLayerPlacement;

export interface LayeredFrame {
  index: number;
  /** Bottom to top, in CSS paint order. */
  layers: LayerCapture[];
}

// ---------------------------------------------------------------------------------------------
// Output settings (a preset resolves to these)

export type OutputFormat = "mp4" | "webm" | "mov" | "gif" | "png-sequence";
export type VideoCodec = "libx264" | "libx265" | "libvpx-vp9" | "prores_ks" | "gif" | "png";

export interface ColourTags {
  primaries: string; // bt709 | bt2020
  transfer: string; // bt709 | smpte2084 | arib-std-b67
  matrix: string; // bt709 | bt2020nc
  range: "tv" | "pc";
}

export interface EncodeSettings {
  format: OutputFormat;
  codec: VideoCodec;
  /** Output pixel format, e.g. yuv420p, yuva420p, yuva444p10le, yuv420p10le, rgba. */
  pixelFormat: string;
  /** Encoder speed preset (x264/x265 `-preset`, VP9 `-deadline`). */
  speed?: string;
  crf?: number;
  bitrate?: string;
  /** Output keeps an alpha channel (capture must be PNG with a transparent page background). */
  alpha: boolean;
  colour?: ColourTags;
  /** Extra x264/x265 params joined with ':' (e.g. HDR mastering metadata). */
  codecParams?: string;
  /** GIF loop count (0 = forever). */
  loop?: number;
  /** Extra ffmpeg output args, appended before the output path. */
  extraArgs?: string[];
}

export interface CaptureSettings {
  /** Frame encoding Chromium produces. Alpha output forces `png`. */
  encoding: "jpeg" | "png";
  /** JPEG quality 1-100. */
  quality: number;
  /** Capture with a transparent page background (alpha outputs). */
  transparent: boolean;
  /** Page memory cap, MB: the V8 heap limit and the renderer RSS limit (`--max-page-memory`); absent: none. */
  maxPageMemoryMb?: number;
  /** Leave Math.random / crypto.getRandomValues native instead of seeded per frame (`--native-random`). */
  nativeRandom?: boolean;
  /**
   * SDR renders holding `<video>`: "inject" (default) sets each decoded frame into the page as an `<img>` styled like
   * the video (COMPOSITION.md §4.1) and takes one screenshot; "layered" captures the DOM around the video as
   * transparent PNG layers and composites the frames in C++ (`--video-compositing`). HDR renders are always layered.
   */
  videoCompositing?: "inject" | "layered";
  /**
   * Which Chromium captures (`--browser`): "auto" (default) = FRAMELOOM_CHROMIUM when set, else the headless
   * shell of the optional `@sparticuz/chromium` package when it is installed, else the system Chromium;
   * "shell" / "system" force one; any other value is the path of a Chromium executable.
   */
  browser?: BrowserChoice;
  /**
   * How a frame is produced (`--capture-method`): "auto" (default) = BeginFrame where the browser passes the
   * launch probe, else screenshots; "beginframe" falls back the same way but says so as a warning;
   * "screenshot" never uses BeginFrame.
   */
  method?: CaptureMethodChoice;
  /** Repeat the previous frame's bytes when nothing painted changed (default true; `--no-frame-reuse`). */
  reuseFrames?: boolean;
}

export type BrowserChoice = "auto" | "shell" | "system" | (string & {});
export type CaptureMethodChoice = "auto" | "beginframe" | "screenshot";
export type CaptureMethod = "beginframe" | "screenshot";

/** What captured a render (`--json` → `capture`): the browser, its version and the frame method in use. */
export interface CaptureReport {
  /** "shell" = the @sparticuz/chromium headless shell, "system" = the system Chromium, "path" = an explicit executable. */
  browser: "shell" | "system" | "path";
  executablePath: string;
  /** The browser's product string, e.g. "HeadlessChrome/153.0.7204.0". */
  version: string;
  method: CaptureMethod;
  /** Why the method is not the one asked for (a failed BeginFrame probe), when it is not. */
  methodNote?: string;
  /**
   * Frames with a picture of their own, and frames that repeat the previous frame's bytes because nothing changed
   * (no damage or no page change, so not read back; or read back with the previous frame's very bytes, as the
   * first frame of a hold is on BeginFrame).
   */
  framesCaptured: number;
  framesReused: number;
}

export type CaptureRoute = "streaming" | "disk" | "sequential";

/** A validated render configuration: what the kernel hands every stage. */
export interface RenderConfig {
  /** Absolute path of a project directory or an HTML file. */
  input: string;
  /** Absolute path of the final output (a directory for png-sequence). */
  output: string;
  /** Overrides the composition's fps. */
  fps?: Fps;
  /** Optional sub-range in CLI form; resolved against totalFrames by the compile stage. */
  frames?: string;
  workers: number | "auto";
  route: CaptureRoute | "auto";
  /** Refuse (instead of warn about) requests to the outside network. */
  strict: boolean;
  /** The output presets the request allows; the plan stage picks one (HDR detection). */
  presets: OutputChoices;
  /** `--hdr`: auto = HDR when an HDR source is found; hdr = force (HLG without HDR sources); sdr = force SDR. */
  hdrMode: "auto" | "hdr" | "sdr";
  /** `--hdr-compositor`: which compositor merges layers (HDR renders and SDR renders with video). */
  hdrCompositor: "native" | "reference";
  /**
   * Encode a segment of a distributed render: closed GOPs from an IDR frame, fixed settings, so that segments of one
   * plan join without re-encoding (`frameloom render-plan`). Absent: a whole render.
   */
  segment?: boolean;
  /** Top-level composition variable overrides (`--variables` ⊕ `--variables-file`), JSON values (COMPOSITION.md §2.5). */
  variables?: Record<string, unknown>;
  /** Undeclared variables, type mismatches and enum values outside the options fail the compile. */
  strictVariables?: boolean;
}

/**
 * The presets a request allows, resolved with every override. `requested` is what was named (or implied by the
 * format); `hdr` is what it becomes when the plan renders HDR (by transfer), null when the format stays SDR. When
 * `requested` is itself an HDR preset, its colour transfer fixes the render's.
 */
export interface OutputChoices {
  requested: PlannedOutput;
  hdr: { pq: PlannedOutput; hlg: PlannedOutput } | null;
}

// ---------------------------------------------------------------------------------------------
// Stages

export type StageName = "compile" | "plan" | "capture" | "encode" | (string & {});

/** What the encode stage leaves: the file (or directory) written and the frames in it. */
export interface EncodedOutput {
  outputPath: string;
  frames: number;
  encodeMs: number;
  /** Frames the encoder repeated from the previous picture instead of receiving them again (unchanged captures). */
  framesRepeated?: number;
}

/**
 * Every value stages hand each other, by the type name a stage declares in its meta. The kernel
 * checks names at set-up (a need's type must be its provider's); TypeScript checks the shapes.
 */
export interface StageValueTypes {
  RenderConfig: RenderConfig;
  OutputPath: string;
  Composition: Composition;
  FrameRange: FrameRange;
  RenderPlan: RenderPlan;
  AudioTrack: AudioTrack | null;
  Frames: Frames;
  EncodedOutput: EncodedOutput;
}
export type StageValueType = keyof StageValueTypes | (string & {});

/** Value name → type name, e.g. `{ plan: "RenderPlan" }`. */
export type StageValueDecls = Readonly<Record<string, StageValueType>>;

export interface StageMeta {
  name: StageName;
  /** Semver range of the kernel's stage API this stage was written for, e.g. `^2.0.0`. */
  kernel: string;
  /** Values (from earlier stages or the kernel) this stage reads, with their types. */
  needs: StageValueDecls;
  /** Values this stage returns, with their types; exactly one stage of a set provides each value. */
  provides: StageValueDecls;
  /** Values read when an earlier stage provides them, and not required otherwise (e.g. `audio`). */
  optional?: StageValueDecls;
  /** The stage's progress counts the render's frames (the job's framesRendered follows it). */
  countsFrames?: boolean;
  /**
   * The stage consumes a stream an earlier stage is still producing: when that producer fails, this stage's own
   * failure is its consequence, and the producer's error is the render's.
   */
  yieldsToProducer?: boolean;
}

export interface StageProgress {
  framesDone: number;
  totalFrames: number;
  workers?: number;
  message?: string;
}

/** What the kernel gives every stage besides its inputs. */
export interface StageContext {
  signal: AbortSignal;
  config: RenderConfig;
  /** A private temp directory for this render, removed by the kernel on every exit path. */
  workDir: string;
  progress(update: StageProgress): void;
  warn(message: string): void;
}

/** Counters a stage reports about its run (e.g. capture: frames re-used); the kernel records them by stage name. */
export type StageStats = Record<string, unknown>;

/**
 * A stage module: `meta` plus `run`. The result holds exactly `meta.provides`, plus optionally
 * `stats` and `settled`: a stage that hands a stream on (capture) is done, and timed, when
 * `settled` resolves (with its stats, when it has them), and its rejection fails the render.
 */
export interface Stage<I extends object = Record<string, unknown>, O extends object = Record<string, unknown>> {
  meta: StageMeta;
  run(input: I, ctx: StageContext): Promise<O & { stats?: StageStats; settled?: Promise<StageStats | void> }>;
}

// ---------------------------------------------------------------------------------------------
// Progress events (kernel → caller)

export interface ProgressEvent {
  jobId: string;
  stage: StageName;
  status: RenderStatus;
  /** 0..1, never goes back. */
  progress: number;
  framesDone: number;
  totalFrames: number;
  /** Workers in force now (after an adaptive retry shrinks it, the new count). */
  workers: number;
  message?: string;
}

export type RenderStatus = "queued" | "running" | "done" | "failed" | "cancelled";
