/**
 * Audio stage: mixes the composition's sound (COMPOSITION.md §2.3, §4.2) into one AAC track that
 * covers exactly the render range, for the encode stage to mux.
 *
 * Tracks: every `MediaSource` with `hasAudio` (`<audio>`, and `<video>` that is neither muted nor
 * marked `data-has-audio` ≠ "true", and not under `data-hidden`; the compiler decides). Each file is
 * probed (ffprobe, first audio stream): a video without an audio stream is dropped silently, an
 * `<audio>` without one (or unreadable) is dropped with a warning, and a video ffprobe cannot read
 * fails with FLM_ERR_AUDIO_PROBE_FAILED. ffprobe and ffmpeg read local files only
 * (`-protocol_whitelist file`), and a file ffprobe finds to be a playlist or manifest (hls, concat,
 * dash, …: formats that name other files) fails with FLM_ERR_MEDIA_FORMAT_REFUSED.
 *
 * Window of a track: start = its resolved absolute start; length = its data-duration, else
 * (file duration − mediaStart) / rate. An `<audio>` slot longer than what the source can play by
 * more than 0.05 s is shortened to the source, with a warning. `loop` is NOT honoured: audio plays
 * once, then silence. Tracks starting at or after the composition's end are left out.
 *
 * Skipped (returns `{ audio: null }` without running ffmpeg) when no track remains, and for gif and
 * png-sequence output (neither carries audio; the png-sequence `audio.m4a` sidecar of §6 is not
 * written).
 *
 * Invariants:
 * - ONE ffmpeg run; the mix is a plain SUM (`amix … normalize=0`), which can clip.
 * - The output covers composition time [range.from/fps, range.to/fps) exactly — range is `[from, to)`
 *   in frames — padded with silence where no track sounds: AAC 192k, 48 kHz, stereo, written to
 *   `ctx.workDir/audio.m4a` (the kernel removes the work dir).
 * - ffmpeg failures are FLM_ERR_AUDIO_MIX_FAILED with the stderr tail (a full disk too, though
 *   ffmpeg 5.1 exits 0 after a failed trailer write); on abort the ffmpeg tree is
 *   killed and FLM_ERR_ABORTED is thrown. This stage never touches RenderJob.
 */
import path from "node:path";
import {
  FrameloomError,
  MEDIA_INPUT_OPTIONS,
  SharedErrors,
  abortError,
  assertMediaFormat,
  isFrameloomError,
  assertNotAborted,
  assertRange,
  errorMessage,
  findFfmpeg,
  findFfprobe,
  runProcess,
  type AudioTrack,
  type Composition,
  type FrameRange,
  type MediaSource,
  type Stage,
  type StageContext,
  type StageMeta,
} from "@frameloom/shared-helpers";
import { AudioErrors } from "./errors.js";
import { buildMixArgs, type MixTrack } from "./mixArgs.js";

export interface AudioStageInput {
  /** The compiled composition (compile guarantees fps, durationSec > 0 and resolved media starts). */
  composition: Pick<Composition, "fps" | "durationSec" | "media">;
  /** Frames to render, `[from, to)` (compile guarantees it lies within [0, totalFrames)). */
  range: FrameRange;
}

export interface AudioStageResult {
  /** The mixed track (exactly the range's length), or null when nothing sounds / the format has no audio. */
  audio: AudioTrack | null;
  /** Wall time of the stage in milliseconds. */
  audioMs: number;
}

export type AudioContext = Pick<StageContext, "signal" | "warn" | "workDir"> & {
  config?: Pick<StageContext["config"], "encode">;
};

/** Audio slots longer than the source by more than this are shortened (§2.3). */
const SLOT_TOLERANCE_SEC = 0.05;

interface AudioProbe {
  channels: number;
  durationSec: number | null;
}

/** First audio stream of a file; null when the file has none. Throws when ffprobe cannot read it. */
async function probeAudio(file: string, signal: AbortSignal): Promise<AudioProbe | null> {
  const { stdout } = await runProcess(
    findFfprobe(),
    ["-v", "error", ...MEDIA_INPUT_OPTIONS, "-select_streams", "a:0", "-show_entries", "stream=channels,duration:format=duration,format_name", "-of", "json", file],
    { signal, label: "ffprobe" },
  );
  const parsed = JSON.parse(stdout.toString()) as {
    streams?: { channels?: number; duration?: string }[];
    format?: { duration?: string; format_name?: string };
  };
  assertMediaFormat(parsed.format?.format_name, file);
  const stream = parsed.streams?.[0];
  if (!stream) return null;
  const duration = Number(stream.duration ?? parsed.format?.duration);
  return { channels: Number(stream.channels) || 2, durationSec: Number.isFinite(duration) && duration > 0 ? duration : null };
}

/** The element's name for warnings: kind and id, never an absolute path. */
const label = (m: MediaSource): string => `<${m.kind} id="${m.id}">`;

/** Probes one media source and decides its window; null when it does not sound. */
async function toTrack(m: MediaSource, compositionEnd: number, ctx: AudioContext): Promise<MixTrack | null> {
  if (m.start >= compositionEnd) return null;
  let probe: AudioProbe | null;
  try {
    probe = await probeAudio(m.path, ctx.signal);
  } catch (error) {
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    if (isFrameloomError(error, SharedErrors.MEDIA_FORMAT_REFUSED)) {
      throw new FrameloomError(error.code, `audio: ${label(m)} src: ${errorMessage(error)}`, { cause: error });
    }
    if (m.kind === "audio") {
      ctx.warn(`audio: ${label(m)} (${path.basename(m.path)}) cannot be read; it is left out of the mix`);
      return null;
    }
    throw new FrameloomError(AudioErrors.PROBE_FAILED, `audio: ffprobe cannot read ${label(m)} (${path.basename(m.path)}): ${errorMessage(error)}`, {
      cause: error,
    });
  }
  if (!probe) {
    if (m.kind === "audio") ctx.warn(`audio: ${label(m)} (${path.basename(m.path)}) has no audio stream; it is left out of the mix`);
    return null;
  }
  const rate = m.playbackRate ?? 1;
  const playable = probe.durationSec === null ? null : (probe.durationSec - m.mediaStart) / rate;
  if (playable !== null && playable <= 0) {
    ctx.warn(`audio: ${label(m)} starts at ${m.mediaStart}s into a ${probe.durationSec}s file; nothing to play`);
    return null;
  }
  let length = m.duration ?? playable ?? compositionEnd - m.start;
  if (m.kind === "audio" && m.duration !== null && playable !== null && m.duration > playable + SLOT_TOLERANCE_SEC) {
    ctx.warn(`audio: ${label(m)} slot of ${m.duration}s is longer than its source (${playable.toFixed(3)}s); shortened to the source`);
    length = playable;
  }
  // Nothing past the composition's end can be heard.
  length = Math.min(length, compositionEnd - m.start);
  if (!(length > 0)) return null;
  return { path: m.path, start: m.start, length, mediaStart: m.mediaStart, rate, volume: m.volume ?? 1, channels: probe.channels };
}

export async function runAudioStage(input: AudioStageInput, ctx: AudioContext): Promise<AudioStageResult> {
  const started = performance.now();
  const done = (audio: AudioTrack | null): AudioStageResult => ({ audio, audioMs: Math.round(performance.now() - started) });
  const { composition, range } = input;
  try {
    assertRange(range);
  } catch (error) {
    throw new FrameloomError(AudioErrors.INPUT_INVALID, `audio input: ${errorMessage(error)}`, { cause: error });
  }
  const { num, den } = composition.fps;
  if (!(num > 0 && den > 0)) throw new FrameloomError(AudioErrors.INPUT_INVALID, `audio input: fps ${num}/${den} is not positive`);
  const format = ctx.config?.encode.format;
  if (format === "gif" || format === "png-sequence") return done(null);

  const candidates = composition.media.filter((m) => m.hasAudio === true && m.kind !== "image");
  if (candidates.length === 0) return done(null);
  const compositionEnd = composition.durationSec;
  const tracks = (await Promise.all(candidates.map((m) => toTrack(m, compositionEnd, ctx)))).filter((t): t is MixTrack => t !== null);
  assertNotAborted(ctx.signal);
  if (tracks.length === 0) return done(null);

  const from = (range.from * den) / num;
  const to = (range.to * den) / num;
  const output = path.join(ctx.workDir, "audio.m4a");
  let stderr: string;
  try {
    ({ stderr } = await runProcess(findFfmpeg(), buildMixArgs({ tracks, from, to, output }), { signal: ctx.signal, label: "ffmpeg (audio mix)" }));
  } catch (error) {
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    throw new FrameloomError(AudioErrors.MIX_FAILED, `audio mix failed: ${errorMessage(error)}`, { cause: error });
  }
  // ffmpeg 5.1 exits 0 when the trailer cannot be written: a full disk leaves a truncated file.
  const noSpace = /^.*(No space left on device|Disk quota exceeded).*$/m.exec(stderr);
  if (noSpace) {
    throw new FrameloomError(AudioErrors.MIX_FAILED, `audio mix failed: the disk holding ${output} is full (${noSpace[0].trim()})`);
  }
  assertNotAborted(ctx.signal);
  return done({ path: output, durationSec: to - from });
}

export const meta: StageMeta = { name: "audio", kernel: "^1.0.0", needs: ["composition", "range"], provides: ["audio"] };

export const stage: Stage<{ composition: Composition; range: FrameRange }, { audio: AudioTrack | null }> = {
  meta,
  async run(input, ctx) {
    const { audio } = await runAudioStage(input, ctx);
    return { audio };
  },
};
