/**
 * After ffmpeg exits, before the kernel renames the output: is the file what we meant to write?
 * ffmpeg 5.1 exits 0 after "Error writing trailer: No space left on device", leaving an MP4 with
 * no moov atom, so an exit code alone proves nothing.
 *
 * Cheap checks only: ffprobe (file protocol) reads the container header for the demuxer, the video
 * stream's codec, an audio stream when one was muxed, and the frame count: `nb_frames` from the
 * header (mp4, mov, gif), else the packets counted without decoding (webm: Matroska keeps no
 * per-stream count; VP9 is written without alt-ref frames, so one packet is one frame). A png
 * sequence: exactly `frame_000001.png` … `frame_<N>.png`, none of them empty.
 * Any mismatch is FLM_ERR_ENCODE_OUTPUT_INVALID naming the output and what was found.
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { FrameloomError, MEDIA_INPUT_OPTIONS, findFfprobe, runProcess, type EncodeSettings } from "@frameloom/shared-helpers";
import { EncodeErrors } from "./errors.js";

export interface VerifyOptions {
  /** The file (a directory for png-sequence) ffmpeg or the stage wrote. */
  outputPath: string;
  settings: EncodeSettings;
  /** Frames the output must hold. */
  frames: number;
  /** An audio track was muxed. */
  hasAudio: boolean;
  signal: AbortSignal;
}

/** ffprobe's codec_name for each encoder we use. */
const PROBED_CODEC: Record<EncodeSettings["codec"], string> = {
  libx264: "h264",
  libx265: "hevc",
  "libvpx-vp9": "vp9",
  prores_ks: "prores",
  gif: "gif",
  png: "png",
};

/** A name in ffprobe's format_name list ("mov,mp4,m4a,…", "matroska,webm") for each format. */
const PROBED_FORMAT: Record<EncodeSettings["format"], string> = {
  mp4: "mp4",
  webm: "webm",
  mov: "mov",
  gif: "gif",
  "png-sequence": "image2",
};

const sequenceName = (position: number): string => `frame_${String(position).padStart(6, "0")}.png`;

function invalid(outputPath: string, reason: string): FrameloomError {
  return new FrameloomError(EncodeErrors.OUTPUT_INVALID, `the encoded output ${outputPath} is not valid: ${reason}`);
}

interface Probe {
  streams?: { codec_type?: string; codec_name?: string; nb_frames?: string; nb_read_packets?: string }[];
  format?: { format_name?: string };
}

async function ffprobe(file: string, args: string[], signal: AbortSignal): Promise<Probe> {
  const { code, stdout, stderr } = await runProcess(findFfprobe(), ["-v", "error", ...MEDIA_INPUT_OPTIONS, ...args, "-of", "json", file], {
    signal,
    label: "ffprobe (output check)",
    allowFailure: true,
  });
  if (code !== 0) {
    const last = stderr.trim().split("\n").filter((l) => l.trim() !== "").at(-1) ?? `exit code ${code}`;
    throw invalid(file, `ffprobe cannot read it (${last.replace(`${file}: `, "").trim()})`);
  }
  try {
    return JSON.parse(stdout.toString()) as Probe;
  } catch {
    throw invalid(file, "ffprobe printed no readable description");
  }
}

async function verifySequence(o: VerifyOptions): Promise<void> {
  const present = new Set(await readdir(o.outputPath).catch(() => [] as string[]));
  for (let position = 1; position <= o.frames; position++) {
    const name = sequenceName(position);
    const info = present.has(name) ? await stat(path.join(o.outputPath, name)).catch(() => null) : null;
    if (!info || info.size === 0) {
      throw invalid(o.outputPath, `${name} is ${info ? "empty" : "missing"} (${o.frames} frames expected)`);
    }
  }
}

export async function verifyOutput(o: VerifyOptions): Promise<void> {
  if (o.settings.format === "png-sequence") return verifySequence(o);
  const probe = await ffprobe(o.outputPath, ["-show_entries", "stream=codec_type,codec_name,nb_frames:format=format_name"], o.signal);
  const formats = (probe.format?.format_name ?? "").split(",");
  const wantFormat = PROBED_FORMAT[o.settings.format];
  if (!formats.includes(wantFormat)) {
    throw invalid(o.outputPath, `ffprobe reads it as "${probe.format?.format_name ?? "nothing"}", not ${wantFormat}`);
  }
  const streams = probe.streams ?? [];
  const video = streams.find((s) => s.codec_type === "video");
  const wantCodec = PROBED_CODEC[o.settings.codec];
  if (!video || video.codec_name !== wantCodec) {
    throw invalid(o.outputPath, video ? `its video stream is ${video.codec_name}, not ${wantCodec}` : "it has no video stream");
  }
  if (o.hasAudio && !streams.some((s) => s.codec_type === "audio")) throw invalid(o.outputPath, "the audio track is missing");
  let frames = Number(video.nb_frames);
  if (!Number.isInteger(frames)) {
    const counted = await ffprobe(o.outputPath, ["-count_packets", "-select_streams", "v:0", "-show_entries", "stream=nb_read_packets"], o.signal);
    frames = Number(counted.streams?.[0]?.nb_read_packets);
  }
  if (frames !== o.frames) {
    throw invalid(o.outputPath, `it holds ${Number.isFinite(frames) ? frames : "an unknown number of"} video frames, not ${o.frames}`);
  }
}
