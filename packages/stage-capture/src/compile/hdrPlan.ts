/**
 * HDR detection (COMPOSITION.md §5): ffprobe's colour transfer of every video and still image
 * decides the mode before the render starts. smpte2084 → PQ, arib-std-b67 → HLG; PQ wins when
 * both are present. `hdr` forces HDR (HLG when no HDR source), `sdr` forces SDR; formats other
 * than MP4 (and the prores-4444-hdr preset) fall back to SDR with a warning. Videos are probed in
 * every mode: SDR renders composite them too, and need their size.
 */
import { probeVideoStream, type ProbedMedia } from "@frameloom/shared-helpers";
import { compileProject } from "./compileProject.js";

export type HdrMode = "auto" | "hdr" | "sdr";

export interface HdrDecision {
  transfer: "pq" | "hlg" | null;
  media: Record<string, ProbedMedia>;
  warnings: string[];
}

const PROBED_IMAGE = /\.(png|avif|heic|heif|jxl|tif|tiff|exr|jpe?g|webp)$/i;

export async function planHdr(
  input: string,
  options: { mode: HdrMode; format: string; hdrCapable?: boolean; signal?: AbortSignal },
): Promise<HdrDecision> {
  const warnings: string[] = [];
  const project = await compileProject(input);
  const candidates = project.media.filter((m) => m.kind === "video" || (m.kind === "image" && PROBED_IMAGE.test(m.path)));
  const media: Record<string, ProbedMedia> = {};
  // A few probes at a time: ffprobe is ~40 ms of mostly start-up each.
  for (let i = 0; i < candidates.length; i += 4) {
    await Promise.all(
      candidates.slice(i, i + 4).map(async (m) => {
        const info = await probeVideoStream(m.path, options.signal);
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
