/**
 * Encode stage: turns the captured (or composited) frames of `[range.from, range.to)` into the
 * output file with ffmpeg, muxing an optional audio track.
 *
 * Routes:
 * - streaming (`frames`): frames are piped to ffmpeg's stdin as they arrive, honouring back-pressure
 *   (we await 'drain', and only pull the next frame once the pipe accepts more).
 * - disk (`framesOnDisk`): ffmpeg reads the numbered files itself (`-start_number range.from`).
 * - png-sequence with PNG frames: files are written/copied as-is (no re-encode); other inputs go
 *   through ffmpeg.
 *
 * Inputs: composition size and fps (exact rational), exactly one frame source, the range, the
 * output path (a temp name the kernel renames on success; a directory for png-sequence), the
 * EncodeSettings a preset resolved to, and an optional audio file (mp4/mov: AAC 192k, webm: Opus).
 * Output: the file (or directory), the number of frames in it (always `to - from`), and `encodeMs`.
 *
 * Invariants:
 * - Frames must arrive in index order starting at `range.from`; a gap or reordering fails with
 *   FLM_ERR_ENCODE_FRAME_OUT_OF_ORDER naming the frame; a short stream fails with FRAME_MISSING.
 * - Every ffmpeg failure (start, early exit, EPIPE, non-zero exit) is FLM_ERR_ENCODE_FFMPEG_FAILED
 *   with the last 15 lines of ffmpeg's stderr in the message; a full disk is FLM_ERR_ENCODE_DISK_FULL
 *   (ffmpeg's "No space left on device", even with exit 0, or ENOSPC writing a png sequence).
 * - The output is checked before it is handed back (verifyOutput.ts: ffprobe finds the container,
 *   codec, audio and exactly `to - from` frames; png-sequence: every file): FLM_ERR_ENCODE_OUTPUT_INVALID.
 * - On abort (ctx.signal) or any failure the ffmpeg process tree is killed and awaited, the frame
 *   stream is released, and no partial output is left behind. Aborts reject with FLM_ERR_ABORTED.
 * - This stage never touches RenderJob; it reports progress through ctx.progress only.
 */
import type { ChildProcess } from "node:child_process";
import { constants } from "node:fs";
import { access, copyFile, mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  FrameloomError,
  abortError,
  assertNotAborted,
  assertRange,
  findFfmpeg,
  type AudioTrack,
  type Composition,
  type EncodeSettings,
  type Frame,
  type FrameEncoding,
  type FrameRange,
  type FrameStream,
  type FramesOnDisk,
  type Stage,
  type StageContext,
  type StageMeta,
  type EncodedOutput,
  type Frames,
  type RenderPlan,
} from "@frameloom/shared-helpers";
import { EncodeErrors } from "./errors.js";
import { buildFfmpegArgs, muxesAudio, rawFrameBytes, takesAudio, validateSegmentSettings, validateSettings, type FfmpegInput } from "./ffmpegArgs.js";
import { startFfmpeg, type FfmpegProcess } from "./ffmpegProcess.js";
import { matroskaFrame, matroskaHeader } from "./matroskaPipe.js";
import { verifyOutput } from "./verifyOutput.js";

export interface EncodeStageInput {
  /** Pixel size of every frame and the exact frame rate (guaranteed valid by compile). */
  composition: Pick<Composition, "width" | "height" | "fps">;
  /** Streaming route: frames in index order from `range.from`. Exactly one of frames / framesOnDisk. */
  frames?: FrameStream;
  /** Disk route: numbered files covering `range` (written by capture). */
  framesOnDisk?: FramesOnDisk;
  /** Frames to encode, `[from, to)`; the output holds exactly `to - from` frames. */
  range: FrameRange;
  /** File to write (a temp name the kernel renames on success); a directory for png-sequence. */
  outputPath: string;
  settings: EncodeSettings;
  /** Optional audio file to mux (mp4/mov: AAC 192k, webm: Opus 128k; ignored with a warning for gif/png-sequence). */
  audioPath?: string;
  /** Encode a segment of a distributed render (closed GOPs, no audio): see ffmpegArgs' `segment`. */
  segment?: boolean;
  /** Test/diagnostic hook: called with the ffmpeg child right after it is spawned. */
  onSpawn?: (child: ChildProcess) => void;
}

export type EncodeStageResult = EncodedOutput;

export type EncodeContext = Pick<StageContext, "signal" | "progress" | "warn">;

const PROGRESS_EVERY = 5;

function inputError(message: string): FrameloomError {
  return new FrameloomError(EncodeErrors.INPUT_INVALID, `encode input: ${message}`);
}

/** `frame_%06d.jpg` + 12 → `frame_000012.jpg` (printf `%d` / `%0Nd`, as ffmpeg's image2 reads it). */
export function patternFileName(pattern: string, index: number): string {
  return pattern.replace(/%(0?)(\d*)d/, (_m, zero: string, width: string) =>
    String(index).padStart(Number(width || 0), zero ? "0" : " "),
  );
}

const sequenceName = (position: number): string => `frame_${String(position).padStart(6, "0")}.png`;

/** Writes one output file; a full disk is FLM_ERR_ENCODE_DISK_FULL, any other failure OUTPUT_UNWRITABLE. */
async function writing(file: string, write: (file: string) => Promise<void>): Promise<void> {
  try {
    await write(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOSPC" || code === "EDQUOT") {
      throw new FrameloomError(EncodeErrors.DISK_FULL, `the disk is full: cannot write ${file} (${code})`, { cause: e });
    }
    throw new FrameloomError(EncodeErrors.OUTPUT_UNWRITABLE, `cannot write ${file} (${code ?? (e as Error).message})`, { cause: e });
  }
}

function validateInput(input: EncodeStageInput): void {
  const { width, height } = input.composition;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw inputError(`composition size ${width}x${height} is not a positive integer size`);
  }
  if ((input.frames === undefined) === (input.framesOnDisk === undefined)) {
    throw inputError("give exactly one of frames (streaming route) or framesOnDisk (disk route)");
  }
  if (input.segment) validateSegmentSettings(input.settings);
  assertRange(input.range);
  const disk = input.framesOnDisk;
  if (disk && (input.range.from < disk.range.from || input.range.to > disk.range.to)) {
    throw inputError(
      `range [${input.range.from}, ${input.range.to}) is outside the frames on disk [${disk.range.from}, ${disk.range.to})`,
    );
  }
  if (typeof input.outputPath !== "string" || input.outputPath === "") throw inputError("outputPath is empty");
  validateSettings(input.settings);
}

async function prepareOutput(input: EncodeStageInput): Promise<{ createdDir: boolean }> {
  const isDir = input.settings.format === "png-sequence";
  const dir = isDir ? input.outputPath : path.dirname(input.outputPath);
  try {
    let createdDir = false;
    if (isDir) createdDir = (await mkdir(dir, { recursive: true })) !== undefined;
    await access(dir, constants.W_OK);
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
    return { createdDir };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    throw new FrameloomError(
      EncodeErrors.OUTPUT_UNWRITABLE,
      `cannot write output "${input.outputPath}": directory "${dir}" is missing or not writable (${code})`,
      { cause: e },
    );
  }
}

async function removeOutput(input: EncodeStageInput, createdDir: boolean, count: number): Promise<void> {
  if (input.settings.format !== "png-sequence") {
    await rm(input.outputPath, { force: true });
    return;
  }
  if (createdDir) {
    await rm(input.outputPath, { recursive: true, force: true });
    return;
  }
  for (let i = 1; i <= count; i++) await rm(path.join(input.outputPath, sequenceName(i)), { force: true });
}

/** Pulls frames in order, checking index/encoding/size; `consume` is called once per frame. */
async function pumpFrames(
  input: EncodeStageInput,
  ctx: EncodeContext,
  first: IteratorResult<Frame>,
  it: AsyncIterator<Frame>,
  failure: Promise<never>,
  consume: (frame: Frame, position: number) => Promise<void>,
): Promise<void> {
  const { from, to } = input.range;
  const total = to - from;
  let result = first;
  let encoding: FrameEncoding | undefined;
  for (let expected = from; expected < to; expected++) {
    if (result.done) {
      throw new FrameloomError(
        EncodeErrors.FRAME_MISSING,
        `frame stream ended at frame ${expected}; frames [${expected}, ${to}) never arrived`,
      );
    }
    const frame = result.value;
    if (frame.index !== expected) {
      throw new FrameloomError(
        EncodeErrors.FRAME_OUT_OF_ORDER,
        `frame ${frame.index} arrived where frame ${expected} was expected (frames must come in index order from ${from})`,
        { details: { frame: frame.index, expected } },
      );
    }
    encoding ??= frame.encoding;
    if (frame.encoding !== encoding) {
      throw new FrameloomError(EncodeErrors.FRAME_INVALID, `frame ${frame.index} is ${frame.encoding} but earlier frames are ${encoding}`);
    }
    const bytes = rawFrameBytes(frame.encoding, input.composition.width, input.composition.height);
    if (bytes !== null && frame.data.byteLength !== bytes) {
      throw new FrameloomError(
        EncodeErrors.FRAME_INVALID,
        `frame ${frame.index} has ${frame.data.byteLength} bytes; ${frame.encoding} at ${input.composition.width}x${input.composition.height} needs ${bytes}`,
      );
    }
    await consume(frame, expected - from + 1);
    const done = expected - from + 1;
    if (done % PROGRESS_EVERY === 0 || done === total) ctx.progress({ framesDone: done, totalFrames: total });
    if (done === total) break;
    assertNotAborted(ctx.signal);
    const next = it.next();
    next.catch(() => {});
    result = await Promise.race([next, failure]);
  }
}

function abortPromise(signal: AbortSignal): Promise<never> {
  const p = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(abortError(signal));
    else signal.addEventListener("abort", () => reject(abortError(signal)), { once: true });
  });
  p.catch(() => {});
  return p;
}

function releaseStream(it: AsyncIterator<Frame> | undefined): void {
  if (!it?.return) return;
  try {
    void Promise.resolve(it.return()).catch(() => {});
  } catch {
    /* a broken iterator cannot stop us cleaning up */
  }
}

async function runFfmpeg(
  input: EncodeStageInput,
  ctx: EncodeContext,
  source: FfmpegInput,
  feed?: (proc: FfmpegProcess) => Promise<void>,
): Promise<void> {
  const total = input.range.to - input.range.from;
  const args = buildFfmpegArgs({
    width: input.composition.width,
    height: input.composition.height,
    fps: input.composition.fps,
    input: source,
    frames: total,
    outputPath: input.outputPath,
    settings: input.settings,
    audioPath: takesAudio(input.settings.format) ? input.audioPath : undefined,
    segment: input.segment === true,
  });
  let lastReported = 0;
  const proc = startFfmpeg(findFfmpeg(), args, {
    signal: ctx.signal,
    onSpawn: input.onSpawn,
    onFrame: feed
      ? undefined
      : (frame) => {
          const done = Math.min(frame, total);
          if (done > lastReported) {
            lastReported = done;
            ctx.progress({ framesDone: done, totalFrames: total });
          }
        },
  });
  try {
    if (feed) await feed(proc);
    await proc.finish();
  } catch (e) {
    await proc.kill();
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    throw e;
  }
}

async function encodeStream(input: EncodeStageInput, ctx: EncodeContext, written: { count: number; repeated: number }): Promise<void> {
  const it = (input.frames as FrameStream)[Symbol.asyncIterator]();
  try {
    const aborted = abortPromise(ctx.signal);
    const first = it.next();
    first.catch(() => {});
    const firstResult = await Promise.race([first, aborted]);
    const encoding = firstResult.done ? "png" : firstResult.value.encoding;
    if (encoding === "jpeg" && input.settings.alpha) ctx.warn("encode: JPEG frames carry no alpha; the output will be opaque");

    if (input.settings.format === "png-sequence" && encoding === "png") {
      await pumpFrames(input, ctx, firstResult, it, aborted, async (frame, position) => {
        await writing(path.join(input.outputPath, sequenceName(position)), (file) => writeFile(file, frame.data));
        written.count = position;
        assertNotAborted(ctx.signal);
      });
      return;
    }
    if (firstResult.done) await pumpFrames(input, ctx, firstResult, it, aborted, async () => {});
    if (encoding === "jpeg") {
      // Timestamped: a frame whose bytes are the previous frame's is left to ffmpeg to repeat; the last frame is
      // always sent, so the output ends on it. The same Buffer is the common case (a capture session re-used its
      // shot; `equals` answers it without comparing); equal bytes from another session (one worker's chunk after
      // another's, in a hold) cost a compare (~0.1 ms per 1080p JPEG) against a decode and conversion (tens of ms).
      const { fps } = input.composition;
      const total = input.range.to - input.range.from;
      let previous: Buffer | null = null;
      await runFfmpeg(input, ctx, { kind: "timed", encoding }, async (proc) => {
        await proc.write(matroskaHeader({ width: input.composition.width, height: input.composition.height, fps }));
        await pumpFrames(input, ctx, firstResult, it, proc.failure, async (frame, position) => {
          const repeat = previous !== null && position < total && frame.data.equals(previous);
          previous = frame.data;
          if (repeat) written.repeated += 1;
          else for (const part of matroskaFrame(position - 1, fps, frame.data)) await proc.write(part);
          written.count = position;
        });
      });
      return;
    }
    await runFfmpeg(input, ctx, { kind: "pipe", encoding }, (proc) =>
      pumpFrames(input, ctx, firstResult, it, proc.failure, async (frame, position) => {
        await proc.write(frame.data);
        written.count = position;
      }),
    );
  } finally {
    releaseStream(it);
  }
}

async function encodeDisk(input: EncodeStageInput, ctx: EncodeContext, written: { count: number }): Promise<void> {
  const disk = input.framesOnDisk as FramesOnDisk;
  const { from, to } = input.range;
  const present = new Set(await readdir(disk.dir).catch(() => [] as string[]));
  for (let i = from; i < to; i++) {
    const name = patternFileName(disk.pattern, i);
    if (!present.has(name)) {
      throw new FrameloomError(EncodeErrors.FRAME_MISSING, `frame ${i} is missing from the frames directory (expected ${name})`, {
        details: { frame: i },
      });
    }
  }
  if (disk.encoding === "jpeg" && input.settings.alpha) ctx.warn("encode: JPEG frames carry no alpha; the output will be opaque");
  if (input.settings.format === "png-sequence" && disk.encoding === "png") {
    for (let i = from; i < to; i++) {
      assertNotAborted(ctx.signal);
      const position = i - from + 1;
      const source = path.join(disk.dir, patternFileName(disk.pattern, i));
      await writing(path.join(input.outputPath, sequenceName(position)), (file) => copyFile(source, file));
      written.count = position;
      if (position % PROGRESS_EVERY === 0 || i === to - 1) ctx.progress({ framesDone: position, totalFrames: to - from });
    }
    return;
  }
  await runFfmpeg(input, ctx, {
    kind: "files",
    encoding: disk.encoding,
    pattern: path.join(path.resolve(disk.dir), disk.pattern),
    startNumber: from,
  });
}

/** Encodes `[range.from, range.to)` into `outputPath`. See the header for the contract. */
export async function runEncodeStage(input: EncodeStageInput, ctx: EncodeContext): Promise<EncodeStageResult> {
  const started = performance.now();
  assertNotAborted(ctx.signal);
  validateInput(input);
  if (input.audioPath !== undefined && !takesAudio(input.settings.format)) {
    ctx.warn(`encode: ${input.settings.format} output has no audio track; the audio file is not used`);
  }
  const { createdDir } = await prepareOutput(input);
  const written = { count: 0, repeated: 0 };
  try {
    if (input.frames) await encodeStream(input, ctx, written);
    else await encodeDisk(input, ctx, written);
    assertNotAborted(ctx.signal);
    await verifyOutput({
      outputPath: input.outputPath,
      settings: input.settings,
      frames: input.range.to - input.range.from,
      hasAudio: muxesAudio(input),
      signal: ctx.signal,
    });
  } catch (e) {
    await removeOutput(input, createdDir, input.range.to - input.range.from).catch(() => {});
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    throw e;
  }
  return {
    outputPath: input.outputPath,
    frames: input.range.to - input.range.from,
    encodeMs: Math.round(performance.now() - started),
    framesRepeated: written.repeated,
  };
}

export const meta: StageMeta = {
  name: "encode",
  kernel: "^2.0.0",
  needs: { plan: "RenderPlan", frames: "Frames", outputPath: "OutputPath" },
  optional: { audio: "AudioTrack" },
  provides: { encoded: "EncodedOutput" },
  // Frames come from a stream capture is still producing: a capture failure is the render's error, not the EPIPE.
  yieldsToProducer: true,
};

/** What the kernel hands the encode stage. */
export interface EncodeStageKernelInput {
  plan: Pick<RenderPlan, "composition" | "output">;
  frames: Frames;
  /** Given by the kernel: a temp name next to the final output. */
  outputPath: string;
  /** The audio stage's mixed track, when the stage set has one. */
  audio?: AudioTrack | null;
}

export const stage: Stage<EncodeStageKernelInput, { encoded: EncodedOutput }> = {
  meta,
  async run(input, ctx) {
    const { frames } = input;
    if (frames.kind === "layered") {
      throw new FrameloomError(EncodeErrors.SETTINGS_INVALID, "encode: layered frames must be composited first (the stage set has no composite stage before encode)");
    }
    const encoded = await runEncodeStage(
      {
        composition: input.plan.composition,
        frames: frames.kind === "stream" ? frames.frames : undefined,
        framesOnDisk: frames.kind === "directory" ? frames.onDisk : undefined,
        range: frames.range,
        outputPath: input.outputPath,
        settings: input.plan.output.encode,
        segment: ctx.config.segment === true,
        audioPath: input.audio?.path,
      },
      ctx,
    );
    return { encoded, stats: { framesRepeated: encoded.framesRepeated ?? 0 } };
  },
};
