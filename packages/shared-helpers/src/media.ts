import { FrameloomError, SharedErrors, errorMessage } from "./errors.js";
import { findFfprobe } from "./discovery.js";
import { runProcess } from "./process.js";
import type { MediaTransfer } from "./contracts.js";

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

/** Probes the first video stream of a file (video or still image) with ffprobe. */
export async function probeVideoStream(file: string, signal?: AbortSignal): Promise<VideoStreamInfo> {
  const { stdout } = await runProcess(
    findFfprobe(),
    ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height,codec_name,pix_fmt,color_transfer,color_primaries,duration,r_frame_rate:format=duration", "-of", "json", file],
    { signal, label: `ffprobe ${file}` },
  );
  let parsed: { streams?: Record<string, string | number>[]; format?: { duration?: string } };
  try {
    parsed = JSON.parse(stdout.toString());
  } catch (error) {
    throw new FrameloomError(SharedErrors.MEDIA_PROBE, `ffprobe gave unreadable output for ${file}: ${errorMessage(error)}`);
  }
  const stream = parsed.streams?.[0];
  if (!stream) throw new FrameloomError(SharedErrors.MEDIA_PROBE, `${file} has no video stream ffprobe can read`);
  const duration = Number(stream.duration ?? parsed.format?.duration);
  return {
    width: Number(stream.width),
    height: Number(stream.height),
    codec: String(stream.codec_name),
    pixelFormat: String(stream.pix_fmt),
    colorTransfer: String(stream.color_transfer ?? "unknown"),
    colorPrimaries: String(stream.color_primaries ?? "unknown"),
    transfer: transferOf(stream.color_transfer as string | undefined),
    durationSec: Number.isFinite(duration) ? duration : null,
    frameRate: String(stream.r_frame_rate ?? "0/0"),
  };
}
