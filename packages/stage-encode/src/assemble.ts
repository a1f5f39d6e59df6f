/**
 * Segment assembly for distributed renders: joins the chunks `[from, to)` that workers encoded
 * with `segment: true` (ffmpegArgs.ts) into one output, WITHOUT re-encoding the video, and muxes
 * the render's audio once.
 *
 * - Files (mp4, mov, webm): ffmpeg's concat demuxer, `-c:v copy`. Segments start on an IDR with
 *   closed GOPs and no B-frames, so the joined stream decodes exactly as the segments did. The
 *   audio is muxed here (mp4/mov: AAC copied, anything else to AAC 192k; webm: Opus 128k), cut at
 *   exactly `frames / fps`; colour tags are the whole render's; mp4/mov get `+faststart`.
 * - png-sequence: the segment directories' files are hard-linked (copied across file systems)
 *   into one directory, numbered as a whole render numbers them (1-based, `frame_000001.png`).
 * - gif cannot be assembled (FLM_ERR_ENCODE_SETTINGS_INVALID): it is never rendered in segments.
 *
 * Invariants:
 * - Segments are checked before anything is written: contiguous from `segments[0].from`, summing
 *   to `frames`, each present with exactly `to - from` video packets (one packet per frame: no
 *   B-frames, no VP9 alt-ref), a keyframe first, and the same codec, size and pixel format as the
 *   others. Any failure is FLM_ERR_ENCODE_SEGMENTS_INVALID naming the segment (index, range, file name).
 * - The output is written under a temp name in its own directory and renamed only after it is
 *   verified (verifyOutput.ts: container, codec, audio, exact frame count): ffmpeg 5.1 can exit 0
 *   after a failed write. An existing file at `output` is replaced only by that rename; an
 *   existing directory is never replaced (FLM_ERR_ENCODE_OUTPUT_UNWRITABLE).
 * - On failure or abort ffmpeg is killed and awaited, and neither output nor temp files remain.
 */
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { access, copyFile, link, mkdtemp, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  FrameloomError,
  MEDIA_INPUT_OPTIONS,
  abortError,
  assertNotAborted,
  createTempDir,
  findFfmpeg,
  findFfprobe,
  removeOnParentDeath,
  runProcess,
  type EncodeSettings,
  type Fps,
} from "@frameloom/shared-helpers";
import { EncodeErrors } from "./errors.js";
import { colourArgs, containerColour, takesAudio, validateSegmentSettings } from "./ffmpegArgs.js";
import { startFfmpeg, type FfmpegProcess } from "./ffmpegProcess.js";
import { verifyOutput } from "./verifyOutput.js";

export interface AssembleSegment {
  /** A file written with `segment: true`, or for png-sequence a segment directory (`frame_000001.png` …). */
  path: string;
  /** The frames it holds, `[from, to)`, in the render's frame numbering. */
  from: number;
  to: number;
}

export interface AssembleInput {
  /** Segments in frame order; contiguous from `segments[0].from`. */
  segments: AssembleSegment[];
  /** The settings every segment was encoded with (format, codec, colour, alpha…). */
  settings: EncodeSettings;
  /** Exact frame rate of the render. */
  fps: Fps;
  /** Total frames expected: the sum of the segment lengths. */
  frames: number;
  /** Optional mixed audio (any ffmpeg-readable file), cut to exactly `frames / fps`. Not for png-sequence. */
  audioPath?: string;
  /** Final output path (a directory for png-sequence), written atomically. */
  output: string;
  signal?: AbortSignal;
  /** Test/diagnostic hook: called with the ffmpeg child right after it is spawned. */
  onSpawn?: (child: ChildProcess) => void;
}

export interface AssembleResult {
  output: string;
  frames: number;
  /** Wall time of the assembly in milliseconds. */
  assembleMs: number;
}

/** ffprobe's codec_name and a format_name entry for each encoder/format we assemble. */
const PROBED_CODEC: Partial<Record<EncodeSettings["codec"], string>> = {
  libx264: "h264",
  libx265: "hevc",
  "libvpx-vp9": "vp9",
  prores_ks: "prores",
};
const PROBED_FORMAT: Partial<Record<EncodeSettings["format"], string>> = { mp4: "mp4", mov: "mov", webm: "webm" };
const MUXER: Partial<Record<EncodeSettings["format"], string>> = { mp4: "mp4", mov: "mov", webm: "webm" };

const SEQUENCE_FILE = /^frame_(\d{6,})\.png$/;
const sequenceName = (position: number): string => `frame_${String(position).padStart(6, "0")}.png`;

/** How many ffprobe checks run at once. */
const PROBE_CONCURRENCY = 4;

function inputError(message: string): FrameloomError {
  return new FrameloomError(EncodeErrors.INPUT_INVALID, `assemble input: ${message}`);
}

type SegmentProblem = "gap" | "overlap" | "missing" | "unreadable" | "frames" | "keyframe" | "mismatch";

function segmentError(index: number, seg: AssembleSegment, reason: SegmentProblem, message: string): FrameloomError {
  // The message names the file, not its absolute path (DESIGN: no absolute paths in messages); details has it.
  const name = typeof seg.path === "string" ? path.basename(seg.path) : "?";
  return new FrameloomError(EncodeErrors.SEGMENTS_INVALID, `segment ${index} [${seg.from}, ${seg.to}) (${name}): ${message}`, {
    details: { segment: index, from: seg.from, to: seg.to, path: seg.path, reason },
  });
}

function outputError(output: string, message: string, cause?: unknown): FrameloomError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new FrameloomError(EncodeErrors.DISK_FULL, `the disk is full: cannot write ${path.basename(output)} (${code})`, { cause });
  }
  return new FrameloomError(EncodeErrors.OUTPUT_UNWRITABLE, `cannot write output ${path.basename(output)}: ${message}${code ? ` (${code})` : ""}`, {
    cause,
    details: { output },
  });
}

const isCount = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n) && n >= 0;

function validateInput(input: AssembleInput): void {
  validateSegmentSettings(input.settings);
  const { fps, segments } = input;
  if (!fps || !Number.isInteger(fps.num) || !Number.isInteger(fps.den) || fps.num < 1 || fps.den < 1) {
    throw inputError(`fps ${JSON.stringify(fps)} is not a positive integer ratio`);
  }
  if (typeof input.output !== "string" || input.output === "") throw inputError("output is empty");
  if (input.audioPath !== undefined && !takesAudio(input.settings.format)) {
    throw inputError(`${input.settings.format} output has no audio track; do not pass audioPath`);
  }
  if (!Array.isArray(segments) || segments.length === 0) throw inputError("no segments");
  let total = 0;
  segments.forEach((seg, i) => {
    if (typeof seg.path !== "string" || seg.path === "") throw segmentError(i, seg, "missing", "its path is empty");
    if (!isCount(seg.from) || !isCount(seg.to) || seg.to <= seg.from) {
      throw segmentError(i, seg, "frames", "its range is not [from, to) with integers 0 <= from < to");
    }
    const prev = segments[i - 1];
    if (prev && seg.from > prev.to) throw segmentError(i, seg, "gap", `frames [${prev.to}, ${seg.from}) are in no segment`);
    if (prev && seg.from < prev.to) throw segmentError(i, seg, "overlap", `frames [${seg.from}, ${prev.to}) are also in segment ${i - 1}`);
    total += seg.to - seg.from;
  });
  if (input.frames !== total) {
    throw inputError(`frames is ${input.frames} but the segments [${segments[0]!.from}, ${segments.at(-1)!.to}) hold ${total}`);
  }
}

/** Parent directory writable; a file output never replaces a directory; a directory output does not exist yet. */
async function checkOutputTarget(input: AssembleInput): Promise<void> {
  const dir = path.dirname(path.resolve(input.output));
  try {
    await access(dir, constants.W_OK);
  } catch (e) {
    throw outputError(input.output, "its directory is missing or not writable", e);
  }
  const existing = await stat(input.output).catch(() => null);
  if (!existing) return;
  if (input.settings.format === "png-sequence") throw outputError(input.output, "it already exists (assembly never replaces a directory)");
  if (existing.isDirectory()) throw outputError(input.output, "it is a directory (assembly never replaces a directory)");
}

/** Runs `fn` over `items`, at most `limit` at a time, in order of results. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return results;
}

interface SegmentInfo {
  codec: string;
  width: number;
  height: number;
  pixFmt: string;
}

interface SegmentProbe {
  streams?: { codec_name?: string; width?: number; height?: number; pix_fmt?: string }[];
  packets?: { flags?: string }[];
  format?: { format_name?: string };
}

async function probeSegment(seg: AssembleSegment, index: number, settings: EncodeSettings, signal: AbortSignal): Promise<SegmentInfo> {
  const info = await stat(seg.path).catch(() => null);
  if (!info?.isFile()) throw segmentError(index, seg, "missing", info ? "it is not a file" : "the file does not exist");
  // One pass over the packet index (no decoding): the count, the first packet's keyframe flag, the stream.
  const { code, stdout, stderr } = await runProcess(
    findFfprobe(),
    [
      "-v", "error", ...MEDIA_INPUT_OPTIONS, "-select_streams", "v:0",
      "-show_entries", "packet=flags:stream=codec_name,width,height,pix_fmt:format=format_name", "-of", "json", seg.path,
    ],
    { signal, label: "ffprobe (segment check)", allowFailure: true },
  );
  if (code !== 0) {
    const last = stderr.trim().split("\n").at(-1)?.replace(`${seg.path}: `, "") || `exit code ${code}`;
    throw segmentError(index, seg, "unreadable", `ffprobe cannot read it (${last})`);
  }
  let probe: SegmentProbe;
  try {
    probe = JSON.parse(stdout.toString()) as SegmentProbe;
  } catch {
    throw segmentError(index, seg, "unreadable", "ffprobe printed no readable description");
  }
  const wantFormat = PROBED_FORMAT[settings.format] as string;
  if (!(probe.format?.format_name ?? "").split(",").includes(wantFormat)) {
    throw segmentError(index, seg, "mismatch", `it is "${probe.format?.format_name ?? "nothing"}", not ${wantFormat}`);
  }
  const stream = probe.streams?.[0];
  const wantCodec = PROBED_CODEC[settings.codec] as string;
  if (stream?.codec_name !== wantCodec) {
    throw segmentError(index, seg, "mismatch", stream ? `its video is ${stream.codec_name}, not ${wantCodec}` : "it has no video stream");
  }
  const packets = probe.packets ?? [];
  if (packets.length !== seg.to - seg.from) {
    throw segmentError(index, seg, "frames", `it holds ${packets.length} video frames, not ${seg.to - seg.from}`);
  }
  if (!packets[0]?.flags?.includes("K")) {
    throw segmentError(index, seg, "keyframe", "its first frame is not a keyframe (was it encoded with segment: true?)");
  }
  return { codec: wantCodec, width: Number(stream.width), height: Number(stream.height), pixFmt: String(stream.pix_fmt) };
}

async function checkSegmentFiles(input: AssembleInput, signal: AbortSignal): Promise<void> {
  const infos = await pool(input.segments, PROBE_CONCURRENCY, (seg, i) => probeSegment(seg, i, input.settings, signal));
  const first = infos[0]!;
  infos.forEach((info, i) => {
    if (info.width !== first.width || info.height !== first.height || info.pixFmt !== first.pixFmt) {
      throw segmentError(
        i,
        input.segments[i]!,
        "mismatch",
        `it is ${info.width}x${info.height} ${info.pixFmt} but segment 0 is ${first.width}x${first.height} ${first.pixFmt}`,
      );
    }
  });
}

/** `n / fps` seconds as ffmpeg reads a duration, rounded up to the microsecond (exact integer arithmetic). */
export function durationArg(frames: number, fps: Fps): string {
  const num = BigInt(fps.num);
  const us = (BigInt(frames) * BigInt(fps.den) * 1_000_000n + num - 1n) / num;
  return `${us / 1_000_000n}.${String(us % 1_000_000n).padStart(6, "0")}`;
}

/** The concat demuxer's list: one quoted absolute path (`'` escaped as `'\''`) and its exact duration per segment. */
export function concatList(segments: AssembleSegment[], fps: Fps): string {
  const lines = ["ffconcat version 1.0"];
  for (const seg of segments) {
    lines.push(`file '${path.resolve(seg.path).replace(/'/g, "'\\''")}'`);
    // Offsets come from these durations, not from each container's rounded duration (webm: ms).
    lines.push(`duration ${durationArg(seg.to - seg.from, fps)}`);
  }
  return `${lines.join("\n")}\n`;
}

async function audioCodec(audioPath: string, signal: AbortSignal): Promise<string> {
  const { code, stdout, stderr } = await runProcess(
    findFfprobe(),
    ["-v", "error", ...MEDIA_INPUT_OPTIONS, "-select_streams", "a:0", "-show_entries", "stream=codec_name", "-of", "json", audioPath],
    { signal, label: "ffprobe (assemble audio)", allowFailure: true },
  );
  let codec: string | undefined;
  try {
    codec = code === 0 ? (JSON.parse(stdout.toString()) as SegmentProbe).streams?.[0]?.codec_name : undefined;
  } catch {
    /* no readable description: reported below */
  }
  if (!codec) {
    const why = code !== 0 ? stderr.trim().split("\n").at(-1)?.replace(`${audioPath}: `, "") : "it has no audio stream";
    throw inputError(`the audio file ${path.basename(audioPath)} cannot be used (${why})`);
  }
  return codec;
}

/** The ffmpeg arguments that join the listed segments (and the audio) into `target`. Pure. */
export function assembleArgs(o: {
  listPath: string;
  settings: EncodeSettings;
  fps: Fps;
  frames: number;
  target: string;
  audio?: { path: string; codec: string };
}): string[] {
  const { settings, audio } = o;
  const audioCodecArgs = !audio
    ? []
    : settings.format === "webm"
      ? ["-c:a", "libopus", "-b:a", "128k"]
      : audio.codec === "aac"
        ? ["-c:a", "copy"]
        : ["-c:a", "aac", "-b:a", "192k"];
  return [
    "-hide_banner", "-nostdin", "-loglevel", "info", "-nostats", "-progress", "pipe:1", "-y",
    "-f", "concat", "-safe", "0", ...MEDIA_INPUT_OPTIONS, "-i", o.listPath,
    ...(audio ? [...MEDIA_INPUT_OPTIONS, "-i", audio.path] : []),
    "-map", "0:v:0",
    ...(audio ? ["-map", "1:a:0"] : []),
    "-c:v", "copy",
    // webm counts time in ms: offsets + segment-local stamps round differently from a whole render's (366 vs 367 ms).
    // Frame N is stamped round(N / fps) like the whole render (one frame per packet: no B-frames, no alt-ref).
    ...(settings.format === "webm" ? ["-bsf:v", `setts=ts=round(N*${o.fps.den}/(${o.fps.num}*TB))`] : []),
    ...audioCodecArgs,
    // Cut both streams at frames/fps: every video frame starts before it, the audio ends on it
    // (to within one audio frame when copied). Without audio the segments hold exactly the frames.
    ...(audio ? ["-t", durationArg(o.frames, o.fps)] : []),
    ...colourArgs(containerColour(settings)),
    ...(settings.format === "mp4" || settings.format === "mov" ? ["-movflags", "+faststart"] : []),
    "-f", MUXER[settings.format] as string,
    o.target,
  ];
}

async function assembleFile(input: AssembleInput, signal: AbortSignal): Promise<void> {
  await checkSegmentFiles(input, signal);
  const audio = input.audioPath === undefined ? undefined : { path: input.audioPath, codec: await audioCodec(input.audioPath, signal) };
  assertNotAborted(signal);

  const scratch = await createTempDir("assemble");
  const output = path.resolve(input.output);
  const temp = path.join(path.dirname(output), `.${path.basename(output)}.assemble-${randomUUID().slice(0, 8)}.tmp`);
  const forget = removeOnParentDeath(temp);
  let proc: FfmpegProcess | undefined;
  try {
    const listPath = path.join(scratch.path, "segments.ffconcat");
    await writeFile(listPath, concatList(input.segments, input.fps));
    const args = assembleArgs({ listPath, settings: input.settings, fps: input.fps, frames: input.frames, target: temp, audio });
    proc = startFfmpeg(findFfmpeg(), args, { signal, onSpawn: input.onSpawn });
    await proc.finish();
    assertNotAborted(signal);
    await verifyOutput({ outputPath: temp, settings: input.settings, frames: input.frames, hasAudio: audio !== undefined, signal });
    assertNotAborted(signal);
    await rename(temp, output).catch((e: unknown) => {
      throw outputError(input.output, "the rename into place failed", e);
    });
  } catch (e) {
    await proc?.kill();
    await rm(temp, { force: true }).catch(() => {});
    if (signal.aborted) throw abortError(signal);
    throw e;
  } finally {
    forget();
    await scratch.cleanup().catch(() => {});
  }
}

/** Each segment directory holds exactly `frame_000001.png` … `frame_<to - from>.png`, none empty. */
async function checkSegmentDirs(input: AssembleInput): Promise<void> {
  for (const [i, seg] of input.segments.entries()) {
    const info = await stat(seg.path).catch(() => null);
    if (!info?.isDirectory()) throw segmentError(i, seg, "missing", info ? "it is not a directory" : "the directory does not exist");
    const names = (await readdir(seg.path)).filter((n) => SEQUENCE_FILE.test(n));
    const want = seg.to - seg.from;
    for (let position = 1; position <= want; position++) {
      const file = await stat(path.join(seg.path, sequenceName(position))).catch(() => null);
      if (!file?.isFile() || file.size === 0) {
        throw segmentError(i, seg, "frames", `${sequenceName(position)} is ${file ? "empty" : "missing"} (${want} frames expected)`);
      }
    }
    if (names.length !== want) throw segmentError(i, seg, "frames", `it holds ${names.length} numbered PNG files, not ${want}`);
  }
}

/** Hard link (no bytes copied); a copy where links cannot be made (another file system, no link support). */
async function linkOrCopy(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EXDEV" && code !== "EPERM" && code !== "EMLINK" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw e;
    await copyFile(source, target);
  }
}

async function assembleSequence(input: AssembleInput, signal: AbortSignal): Promise<void> {
  await checkSegmentDirs(input);
  assertNotAborted(signal);
  const output = path.resolve(input.output);
  const temp = await mkdtemp(path.join(path.dirname(output), `.${path.basename(output)}.assemble-`)).catch((e: unknown) => {
    throw outputError(input.output, "cannot create a temp directory beside it", e);
  });
  const forget = removeOnParentDeath(temp);
  try {
    const base = input.segments[0]!.from;
    for (const seg of input.segments) {
      for (let position = 1; position <= seg.to - seg.from; position++) {
        const target = sequenceName(seg.from - base + position);
        await linkOrCopy(path.join(seg.path, sequenceName(position)), path.join(temp, target)).catch((e: unknown) => {
          throw outputError(input.output, `cannot write ${target}`, e);
        });
      }
      assertNotAborted(signal);
    }
    await verifyOutput({ outputPath: temp, settings: input.settings, frames: input.frames, hasAudio: false, signal });
    // Checked again just before the rename: rename(2) would replace an empty directory made meanwhile.
    if (await stat(output).catch(() => null)) throw outputError(input.output, "it already exists (assembly never replaces a directory)");
    await rename(temp, output).catch((e: unknown) => {
      throw outputError(input.output, "the rename into place failed", e);
    });
  } catch (e) {
    await rm(temp, { recursive: true, force: true }).catch(() => {});
    if (signal.aborted) throw abortError(signal);
    throw e;
  } finally {
    forget();
  }
}

/** Joins the segments into `input.output`. See the header for the contract. */
export async function assembleSegments(input: AssembleInput): Promise<AssembleResult> {
  const started = performance.now();
  const signal = input.signal ?? new AbortController().signal;
  assertNotAborted(signal);
  validateInput(input);
  await checkOutputTarget(input);
  if (input.settings.format === "png-sequence") await assembleSequence(input, signal);
  else await assembleFile(input, signal);
  return { output: input.output, frames: input.frames, assembleMs: Math.round(performance.now() - started) };
}
