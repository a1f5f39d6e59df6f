/**
 * Audio stage: mixes the render plan's sounds (COMPOSITION.md §2.3, §4.2; `plan.audio`, decided and
 * windowed by the plan stage from its one probe per file) into one AAC track that covers exactly
 * the render range, for the encode stage to mux. `loop` is NOT honoured: audio plays once, then
 * silence.
 *
 * Skipped (returns `{ audio: null }` without running ffmpeg) when the plan has no sound, and for gif
 * and png-sequence output (neither carries audio; the plan leaves their track list empty).
 *
 * Invariants:
 * - ONE ffmpeg run, reading local files only; no probe (the plan has probed every file).
 * - The mix is a plain SUM (`amix … normalize=0`), which can clip.
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
  abortError,
  assertNotAborted,
  assertRange,
  errorMessage,
  findFfmpeg,
  runProcess,
  type AudioTrack,
  type RenderPlan,
  type Stage,
  type StageContext,
  type StageMeta,
} from "@frameloom/shared-helpers";
import { AudioErrors } from "./errors.js";
import { buildMixArgs, type MixTrack } from "./mixArgs.js";

export interface AudioStageInput {
  plan: Pick<RenderPlan, "composition" | "range" | "audio">;
}

export interface AudioStageResult {
  /** The mixed track (exactly the range's length), or null when nothing sounds / the format has no audio. */
  audio: AudioTrack | null;
  /** Wall time of the stage in milliseconds. */
  audioMs: number;
}

export type AudioContext = Pick<StageContext, "signal" | "warn" | "workDir">;

export async function runAudioStage(input: AudioStageInput, ctx: AudioContext): Promise<AudioStageResult> {
  const started = performance.now();
  const done = (audio: AudioTrack | null): AudioStageResult => ({ audio, audioMs: Math.round(performance.now() - started) });
  const { composition, range } = input.plan;
  try {
    assertRange(range);
  } catch (error) {
    throw new FrameloomError(AudioErrors.INPUT_INVALID, `audio input: ${errorMessage(error)}`, { cause: error });
  }
  const { num, den } = composition.fps;
  if (!(num > 0 && den > 0)) throw new FrameloomError(AudioErrors.INPUT_INVALID, `audio input: fps ${num}/${den} is not positive`);
  const tracks: MixTrack[] = input.plan.audio;
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

export const meta: StageMeta = { name: "audio", kernel: "^2.0.0", needs: { plan: "RenderPlan" }, provides: { audio: "AudioTrack" } };

export const stage: Stage<AudioStageInput, { audio: AudioTrack | null }> = {
  meta,
  async run(input, ctx) {
    const { audio } = await runAudioStage(input, ctx);
    return { audio };
  },
};
