/**
 * What is being compared: a video file (ffprobe, packets counted without decoding) or a
 * png-sequence directory (its `*.png` files in name order, probed from the first).
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { FrameloomError, findFfprobe, runProcess } from "@frameloom/shared-helpers";
import { CompareErrors } from "./errors.js";
import { parseRate } from "./checkpoints.js";
import type { MediaInfo } from "./types.js";

interface ProbeStream {
  codec_type: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  r_frame_rate?: string;
  nb_read_packets?: string;
  duration?: string;
  tags?: Record<string, string>;
}

export interface ProbedInput extends MediaInfo {
  /** png sequences: file names in order. */
  files: string[];
  /** Decoder to force for the video (libvpx-vp9 keeps VP9 alpha). */
  decoder: string | null;
}

/** Deeper than 8 bits per component: compared in 10-bit. */
export function bitDepthOf(pixFmt: string): 8 | 10 {
  return /(?:p|le|be)?(?:9|10|12|14|16)(?:le|be)?$/.test(pixFmt) || /48|64/.test(pixFmt) ? 10 : 8;
}

export function hasAlphaFormat(pixFmt: string): boolean {
  return /^(yuva|gbra|rgba|bgra|argb|abgr|ya)/.test(pixFmt) || pixFmt.startsWith("pal8");
}

async function ffprobe(file: string, label: string, signal?: AbortSignal, countPackets = true): Promise<{ streams: ProbeStream[]; format: { duration?: string } }> {
  const args = ["-v", "error", "-of", "json", "-show_streams", "-show_format"];
  if (countPackets) args.push("-count_packets");
  const result = await runProcess(findFfprobe(), [...args, file], { signal, allowFailure: true, label: "ffprobe" });
  if (result.code !== 0) {
    throw new FrameloomError(CompareErrors.INPUT_UNREADABLE, `${label} "${file}" is not a readable video: ${result.stderr.trim().split("\n").at(-1) ?? "ffprobe failed"}`);
  }
  return JSON.parse(result.stdout.toString("utf8"));
}

export async function probeInput(file: string, label: "a" | "b", signal?: AbortSignal): Promise<ProbedInput> {
  const info = await stat(file).catch(() => null);
  if (!info) throw new FrameloomError(CompareErrors.INPUT_MISSING, `${label} "${file}" does not exist`);
  if (info.isDirectory()) return probeSequence(file, label, signal);
  const probe = await ffprobe(file, label, signal);
  const video = probe.streams.find((s) => s.codec_type === "video");
  if (!video?.width || !video.height) throw new FrameloomError(CompareErrors.INPUT_UNREADABLE, `${label} "${file}" has no video stream`);
  const pixFmt = video.pix_fmt ?? "unknown";
  const vp9Alpha = video.codec_name === "vp9" && video.tags?.alpha_mode === "1";
  const fps = video.r_frame_rate ?? "0/0";
  const frames = Number(video.nb_read_packets ?? 0);
  const duration = Number(probe.format.duration ?? video.duration ?? frames / parseRate(fps));
  return {
    path: path.resolve(file),
    kind: "video",
    width: video.width,
    height: video.height,
    frames,
    duration,
    fps,
    pixFmt: vp9Alpha ? "yuva420p" : pixFmt,
    bitDepth: bitDepthOf(pixFmt),
    hasAlpha: vp9Alpha || hasAlphaFormat(pixFmt),
    hasAudio: probe.streams.some((s) => s.codec_type === "audio"),
    files: [],
    decoder: vp9Alpha ? "libvpx-vp9" : null,
  };
}

async function probeSequence(dir: string, label: "a" | "b", signal?: AbortSignal): Promise<ProbedInput> {
  const entries = await readdir(dir);
  const files = entries.filter((f) => f.endsWith(".png")).sort();
  if (files.length === 0) throw new FrameloomError(CompareErrors.INPUT_UNREADABLE, `${label} "${dir}" is a directory with no .png files`);
  const probe = await ffprobe(path.join(dir, files[0]!), label, signal, false);
  const image = probe.streams.find((s) => s.codec_type === "video");
  if (!image?.width || !image.height) throw new FrameloomError(CompareErrors.INPUT_UNREADABLE, `${label} "${dir}/${files[0]}" is not a readable image`);
  const pixFmt = image.pix_fmt ?? "rgba";
  const audioFile = entries.find((f) => /^audio\.(m4a|aac|wav|mp3)$/.test(f));
  return {
    path: path.resolve(dir),
    kind: "png-sequence",
    width: image.width,
    height: image.height,
    frames: files.length,
    duration: 0,
    fps: null,
    pixFmt,
    bitDepth: bitDepthOf(pixFmt),
    hasAlpha: hasAlphaFormat(pixFmt),
    hasAudio: audioFile !== undefined,
    files,
    decoder: null,
  };
}

/** The file holding an input's audio: the video itself, or a png sequence's sidecar. */
export async function audioSourceOf(input: ProbedInput): Promise<string | null> {
  if (!input.hasAudio) return null;
  if (input.kind === "video") return input.path;
  const entries = await readdir(input.path);
  const sidecar = entries.find((f) => /^audio\.(m4a|aac|wav|mp3)$/.test(f));
  return sidecar ? path.join(input.path, sidecar) : null;
}

/** ffmpeg input arguments for one side (a png sequence as an image2 glob, in name order). */
export function inputArgs(input: ProbedInput): string[] {
  if (input.kind === "png-sequence") return ["-pattern_type", "glob", "-framerate", "1", "-i", path.join(input.path.replace(/[*?[\]]/g, "\\$&"), "*.png")];
  return [...(input.decoder ? ["-c:v", input.decoder] : []), "-i", input.path];
}
