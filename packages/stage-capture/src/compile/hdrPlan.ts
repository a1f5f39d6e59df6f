/**
 * HDR detection (COMPOSITION.md §5): ffprobe's colour transfer of every video and still image
 * decides the mode before the render starts. smpte2084 → PQ, arib-std-b67 → HLG; PQ wins when
 * both are present. `hdr` forces HDR (HLG when no HDR source), `sdr` forces SDR; formats other
 * than MP4 (and the prores-4444-hdr preset) fall back to SDR with a warning. Videos are probed in
 * every mode: SDR renders composite them too, and need their size.
 */
import { FrameloomError, errorMessage, isFrameloomError, probeVideoStream, type MediaSource, type ProbedMedia, type VideoStreamInfo } from "@frameloom/shared-helpers";
import { MAX_SIZE, compileProject } from "./compileProject.js";
import { CompileErrors } from "./errors.js";

export type HdrMode = "auto" | "hdr" | "sdr";

export interface HdrDecision {
  transfer: "pq" | "hlg" | null;
  media: Record<string, ProbedMedia>;
  warnings: string[];
}

const PROBED_IMAGE = /\.(png|avif|heic|heif|jxl|tif|tiff|exr|jpe?g|webp)$/i;

export async function planHdr(
  input: string,
  options: { mode: HdrMode; format: string; hdrCapable?: boolean; signal?: AbortSignal; variables?: Record<string, unknown>; strictVariables?: boolean },
): Promise<HdrDecision> {
  const warnings: string[] = [];
  // Variables may set a media src (data-var-src): the planner probes what the render will show.
  const project = await compileProject(input, { variables: options.variables, strictVariables: options.strictVariables });
  const candidates = project.media.filter((m) => m.kind === "video" || (m.kind === "image" && PROBED_IMAGE.test(m.path)));
  const media: Record<string, ProbedMedia> = {};
  // A few probes at a time: ffprobe is ~40 ms of mostly start-up each.
  for (let i = 0; i < candidates.length; i += 4) {
    await Promise.all(
      candidates.slice(i, i + 4).map(async (m) => {
        const info = await probeMedia(m, options.signal);
        media[m.path] = { transfer: info.transfer, width: info.width, height: info.height, durationSec: info.durationSec };
      }),
    );
  }
  const transfers = new Set(Object.values(media).map((m) => m.transfer));
  if (options.mode === "sdr") return { transfer: null, media, warnings };
  let transfer: "pq" | "hlg" | null = transfers.has("pq") ? "pq" : transfers.has("hlg") ? "hlg" : null;
  if (options.mode === "hdr" && transfer === null) {
    transfer = "hlg";
    warnings.push("--hdr with no HDR source: rendering HLG (SDR content placed at 203 nits reference white)");
  }
  if (transfer !== null && !(options.hdrCapable ?? options.format === "mp4")) {
    warnings.push(`HDR sources found, but ${options.format} output is SDR only: rendering SDR (use mp4 for HDR)`);
    transfer = null;
  }
  return { transfer, media, warnings };
}

/**
 * ffprobe of one media element: an unreadable file keeps its code (FLM_ERR_MEDIA_PROBE, playlists
 * FLM_ERR_MEDIA_FORMAT_REFUSED) with the element named in front; the compositor decodes videos
 * and HDR stills at full size, so those above 8K per side are refused before any frame is allocated.
 */
async function probeMedia(m: MediaSource, signal?: AbortSignal): Promise<VideoStreamInfo> {
  const element = `<${m.kind === "image" ? "img" : m.kind} id="${m.id}"> src`;
  let info: VideoStreamInfo;
  try {
    info = await probeVideoStream(m.path, signal);
  } catch (error) {
    if (signal?.aborted || !isFrameloomError(error) || error.code === "FLM_ERR_ABORTED") throw error;
    throw new FrameloomError(error.code, `${element}: ${errorMessage(error)}`, { cause: error, details: error.details });
  }
  const painted = m.kind === "video" || info.transfer !== "sdr";
  if (painted && (info.width > MAX_SIZE || info.height > MAX_SIZE)) {
    throw new FrameloomError(
      CompileErrors.MEDIA_TOO_LARGE,
      `${element}: ${m.path} is ${info.width}x${info.height}; media the compositor paints is limited to ${MAX_SIZE} px (8K) per side`,
    );
  }
  return info;
}
