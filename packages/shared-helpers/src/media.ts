import { FrameloomError, SharedErrors, errorMessage } from "./errors.js";
import { findFfprobe } from "./discovery.js";
import { runProcess } from "./process.js";
import type { MediaTransfer, ProbedMedia } from "./contracts.js";

export interface VideoStreamInfo {
  width: number;
  height: number;
  codec: string;
  pixelFormat: string;
  transfer: MediaTransfer;
  /** ffprobe's color_transfer as written in the file ("unknown" when absent). */
  colorTransfer: string;
  colorPrimaries: string;
  durationSec: number | null;
  frameRate: string;
}

/** smpte2084 → pq, arib-std-b67 → hlg, anything else → sdr (BT.2020 primaries alone do not count). */
export function transferOf(colorTransfer: string | undefined): MediaTransfer {
  if (colorTransfer === "smpte2084") return "pq";
  if (colorTransfer === "arib-std-b67") return "hlg";
  return "sdr";
}

/**
 * Input options for every ffmpeg / ffprobe run that opens a composition's media: the file protocol
 * only (no http, no `concat:` / `subfile:` URLs, no network from a playlist or an SDP file). Put
 * them right before each `-i <media>` (ffprobe: anywhere before the file).
 */
export const MEDIA_INPUT_OPTIONS: readonly string[] = Object.freeze(["-protocol_whitelist", "file"]);

/** zscale's names for a source's matrix, transfer and primaries (BT.2020 non-constant luminance for PQ / HLG, BT.709 for SDR). */
function zscaleColourNames(transfer: MediaTransfer): { matrix: string; transfer: string; primaries: string } {
  if (transfer === "pq") return { matrix: "2020_ncl", transfer: "smpte2084", primaries: "2020" };
  if (transfer === "hlg") return { matrix: "2020_ncl", transfer: "arib-std-b67", primaries: "2020" };
  return { matrix: "709", transfer: "709", primaries: "709" };
}

/**
 * The zscale filter that turns a decoded Y'CbCr frame into full-range R'G'B' in the source's own transfer and
 * primaries: only the matrix and the range are undone, so the signal stays PQ / HLG / BT.709-coded. zscale, not
 * swscale: swscale's 10-bit limited → 16-bit RGB is ~0.4 % dark (Y 940 → 65283, not 65535). The caller appends the
 * output format.
 */
export function signalRgbZscale(transfer: MediaTransfer, range: "limited" | "full"): string {
  const { matrix, transfer: curve, primaries } = zscaleColourNames(transfer);
  return (
    `zscale=matrixin=${matrix}:rangein=${range}:range=full:transferin=${curve}:transfer=${curve}:` +
    `primariesin=${primaries}:primaries=${primaries}:chromalin=center:filter=bilinear`
  );
}

/**
 * HDR → SDR: linear light with 1.0 = 203 nits (BT.2408 reference white = SDR white), BT.2020 → BT.709 primaries, then
 * Möbius tone mapping: identity up to 0.8 (≈ 162 nits, so SDR-range content keeps the values our own SDR maths gives),
 * highlights compressed smoothly so that `peak` (1000 nits, the HLG nominal display and usual HDR10 mastering peak)
 * reaches 1.0 (203 nits → 0.93 ≈ sRGB 244/255; above 1000 nits clips), per pixel on the largest component so hues keep,
 * no desaturation; then the sRGB curve. Hable (ffmpeg's usual recipe) puts 203 nits at sRGB ≈ 150–170/255: too dark.
 */
export const TONE_MAP_FILTER = `tonemap=tonemap=mobius:param=0.8:desat=0:peak=${(1000 / 203).toFixed(6)}`;

/**
 * The filter chain that turns a PQ / HLG source into SDR R'G'B' (planar 16-bit, gbrp16le) for SDR renders: to linear
 * light (1.0 = 203 nits) in float, BT.709 primaries, TONE_MAP_FILTER, the sRGB curve. `yuvRange`: the source's range
 * when it is Y'CbCr (its matrix is undone first), null when it is R'G'B' already.
 */
export function toneMappedSdrZscale(transfer: "pq" | "hlg", yuvRange: "limited" | "full" | null): string {
  const { matrix, transfer: curve, primaries } = zscaleColourNames(transfer);
  const input = yuvRange === null ? "" : `matrixin=${matrix}:rangein=${yuvRange}:m=${matrix}:chromalin=center:filter=bilinear:`;
  return (
    `zscale=${input}transferin=${curve}:primariesin=${primaries}:t=linear:npl=203:p=${primaries}:r=full,format=gbrpf32le,` +
    `zscale=p=709,${TONE_MAP_FILTER},zscale=t=iec61966-2-1:m=709:r=full,format=gbrp16le`
  );
}

/**
 * Demuxers that read other files or URLs named inside the file (playlists, manifests, scripts). A
 * media file ffprobe detects as one of them could pull content from outside the project into the
 * output, so it is refused (FLM_ERR_MEDIA_FORMAT_REFUSED).
 */
export const REFERENCING_DEMUXERS: ReadonlySet<string> = new Set([
  "hls",
  "applehttp",
  "concat",
  "dash",
  "imf",
  "sdp",
  "rtp",
  "rtsp",
  "webm_dash_manifest",
]);

/** The referencing demuxer among ffprobe's `format_name` ("mov,mp4,…" lists several), or null. */
export function referencingDemuxer(formatName: string | undefined): string | null {
  for (const name of (formatName ?? "").split(",")) if (REFERENCING_DEMUXERS.has(name.trim())) return name.trim();
  return null;
}

/** Throws FLM_ERR_MEDIA_FORMAT_REFUSED when `formatName` is a playlist / manifest demuxer; `what` names the file. */
export function assertMediaFormat(formatName: string | undefined, what: string): void {
  const demuxer = referencingDemuxer(formatName);
  if (demuxer) {
    throw new FrameloomError(
      SharedErrors.MEDIA_FORMAT_REFUSED,
      `${what} is a ${demuxer} playlist/manifest that names other files; refused (use a plain video, audio or image file)`,
    );
  }
}

/** Length of a leading ID3v2 tag (ffmpeg skips it before probing the format), 0 when there is none. */
function id3Length(head: Buffer): number {
  if (head.length < 10 || head.toString("latin1", 0, 3) !== "ID3") return 0;
  const size = ((head[6]! & 0x7f) << 21) | ((head[7]! & 0x7f) << 14) | ((head[8]! & 0x7f) << 7) | (head[9]! & 0x7f);
  return 10 + size + (head[5]! & 0x10 ? 10 : 0);
}

/**
 * What a file's first bytes say it is, when that is a format whose entries name other files:
 * "an HLS playlist" (`#EXTM3U`), "an ffconcat script", "a DASH manifest" (`<MPD`), "an IMF
 * composition playlist" or "an SDP description"; null otherwise. `readAt(offset, length)` reads the file (so a
 * leading ID3v2 tag is skipped, as ffmpeg's probe does).
 */
export async function sniffReferencingFormat(readAt: (offset: number, length: number) => Promise<Buffer>): Promise<string | null> {
  let head = await readAt(0, 4096);
  const skip = id3Length(head);
  if (skip > 0) head = await readAt(skip, 4096);
  const text = head.toString("latin1");
  if (text.startsWith("#EXTM3U")) return "an HLS playlist";
  if (text.startsWith("ffconcat version")) return "an ffconcat script";
  if (/^v=0\r?\n/.test(text)) return "an SDP description";
  if (/^(\uFEFF)?\s*<(\?xml|MPD|CompositionPlaylist)/i.test(text)) {
    if (/<MPD[\s>]/i.test(text)) return "a DASH manifest";
    if (/<CompositionPlaylist[\s>]/i.test(text)) return "an IMF composition playlist";
  }
  return null;
}

/**
 * One ffprobe of a media file (file protocol only): its first video stream, its first audio stream
 * and the container's duration. The plan stage calls this once per file per render; every stage
 * after it reads the result from the plan. Errors as probeVideoStream's; a file with neither stream
 * is FLM_ERR_MEDIA_PROBE.
 */
export async function probeMediaFile(file: string, signal?: AbortSignal): Promise<ProbedMedia> {
  const { stdout, stderr, code } = await runProcess(
    findFfprobe(),
    [
      "-v", "error", ...MEDIA_INPUT_OPTIONS,
      "-show_entries",
      "stream=codec_type,width,height,codec_name,pix_fmt,color_transfer,color_primaries,duration,r_frame_rate,channels:format=duration,format_name",
      "-of", "json", file,
    ],
    { signal, label: `ffprobe ${file}`, allowFailure: true },
  );
  if (code !== 0) {
    throw new FrameloomError(SharedErrors.MEDIA_PROBE, `ffprobe cannot read ${file}: ${lastLine(stderr, file) || `exit code ${code}`}`, {
      details: { code },
    });
  }
  let parsed: { streams?: Record<string, string | number>[]; format?: { duration?: string; format_name?: string } };
  try {
    parsed = JSON.parse(stdout.toString());
  } catch (error) {
    throw new FrameloomError(SharedErrors.MEDIA_PROBE, `ffprobe gave unreadable output for ${file}: ${errorMessage(error)}`);
  }
  assertMediaFormat(parsed.format?.format_name, file);
  const seconds = (value: unknown): number | null => {
    const n = Number(value);
    return value !== undefined && Number.isFinite(n) && n > 0 ? n : null;
  };
  const containerSec = seconds(parsed.format?.duration);
  const v = parsed.streams?.find((st) => st.codec_type === "video");
  const a = parsed.streams?.find((st) => st.codec_type === "audio");
  if (!v && !a) throw new FrameloomError(SharedErrors.MEDIA_PROBE, `${file} has no video or audio stream ffprobe can read`);
  const video: VideoStreamInfo | null = v
    ? {
        width: Number(v.width),
        height: Number(v.height),
        codec: String(v.codec_name),
        pixelFormat: String(v.pix_fmt),
        colorTransfer: String(v.color_transfer ?? "unknown"),
        colorPrimaries: String(v.color_primaries ?? "unknown"),
        transfer: transferOf(v.color_transfer as string | undefined),
        durationSec: seconds(v.duration) ?? containerSec,
        frameRate: String(v.r_frame_rate ?? "0/0"),
      }
    : null;
  const audio = a ? { channels: Number(a.channels) || 2, durationSec: seconds(a.duration) ?? containerSec } : null;
  return { video, audio, durationSec: containerSec };
}

/** The last non-empty line of a tool's stderr (ffprobe prints the reason last), without the file path prefix. */
function lastLine(stderr: string, file: string): string {
  const line = stderr.trim().split("\n").filter((l) => l.trim() !== "").at(-1)?.trim() ?? "";
  return line.startsWith(`${file}: `) ? line.slice(file.length + 2) : line;
}

/**
 * Probes the first video stream of a file (video or still image) with ffprobe, file protocol only.
 * Unreadable files (a text file named .mp4, an empty file) are FLM_ERR_MEDIA_PROBE with ffprobe's
 * reason on one line; playlists and manifests are FLM_ERR_MEDIA_FORMAT_REFUSED.
 */
export async function probeVideoStream(file: string, signal?: AbortSignal): Promise<VideoStreamInfo> {
  const { video } = await probeMediaFile(file, signal);
  if (!video) throw new FrameloomError(SharedErrors.MEDIA_PROBE, `${file} has no video stream ffprobe can read`);
  return video;
}
