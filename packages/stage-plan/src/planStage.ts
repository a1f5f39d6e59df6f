/**
 * The `plan` stage: right after compile, it probes every media file once and resolves everything a
 * frame renderer needs into one JSON-serialisable RenderPlan (contracts.ts): the composition with
 * probed transfers and lengths, probed media by id, the output (preset after HDR detection, every
 * override applied), the HDR decision and why, the layer plan, the measured content light level
 * of a PQ output, the soundtrack's sounds, and the warnings.
 *
 * Invariants:
 * - One ffprobe per media file per render (probeMediaFile); no stage after this one probes.
 * - HDR (COMPOSITION.md §5): an HDR preset fixes the transfer; `--sdr` forces SDR; otherwise
 *   smpte2084 → PQ, arib-std-b67 → HLG (PQ wins when both are present), `--hdr` with no HDR source
 *   renders HLG; an HDR render of a format that stays SDR (`presets.hdr` null) is SDR, with a warning.
 * - Media the compositor paints (every video, HDR stills in an HDR render) above 8K per side are
 *   refused before any frame is allocated.
 * - A PQ output's HDR10 metadata carries the measured MaxCLL / MaxFALL (contentLight.ts), not a
 *   fixed guess.
 */
import path from "node:path";
import {
  FrameloomError,
  SharedErrors,
  errorMessage,
  isFrameloomError,
  mediaWindowIn,
  probeMediaFile,
  type Composition,
  type EncodeSettings,
  type FrameRange,
  type HdrDecision,
  type LayerPlan,
  type MediaSource,
  type PlannedAudioTrack,
  type PlannedOutput,
  type ProbedMedia,
  type RenderPlan,
  type Stage,
  type StageContext,
  type StageMeta,
} from "@frameloom/shared-helpers";
import { measureContentLight, type LightSource } from "./contentLight.js";
import { PlanErrors } from "./errors.js";

/** Largest media side the compositor decodes (8K). */
export const MAX_MEDIA_SIDE = 8192;

/** Stills ffprobe reads (an SVG or a GIF is Chromium's alone and never HDR). */
const PROBED_IMAGE = /\.(png|avif|heic|heif|jxl|tif|tiff|exr|jpe?g|webp)$/i;

/** Audio slots longer than the source by more than this are shortened (§2.3). */
const SLOT_TOLERANCE_SEC = 0.05;

export const meta: StageMeta = {
  name: "plan",
  kernel: "^2.0.0",
  needs: { config: "RenderConfig", composition: "Composition", range: "FrameRange" },
  provides: { plan: "RenderPlan" },
};

export interface PlanStageInput {
  composition: Composition;
  range: FrameRange;
}

/** The element's name in messages: kind and id, never an absolute path. */
const label = (m: MediaSource): string => `<${m.kind === "image" ? "img" : m.kind} id="${m.id}">`;

export async function runPlanStage(input: PlanStageInput, ctx: Pick<StageContext, "config" | "signal" | "warn">): Promise<{ plan: RenderPlan }> {
  const { composition, range } = input;
  const { config } = ctx;
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    ctx.warn(message);
  };

  const media = await probeAll(composition.media, ctx.signal, warn);
  const transfers = new Map(
    composition.media.flatMap((m) => {
      const video = media[m.id]?.video;
      return video && m.kind !== "audio" ? [[m.id, video.transfer] as const] : [];
    }),
  );
  const hdr = decideHdr(config, composition.media, transfers, warn);
  const chosen: PlannedOutput =
    hdr.transfer === null || config.presets.hdr === null || isHdrOutput(config.presets.requested.encode)
      ? config.presets.requested
      : config.presets.hdr[hdr.transfer];

  const planned: Composition = {
    ...composition,
    media: composition.media.map((m) => ({
      ...m,
      transfer: transfers.get(m.id) ?? m.transfer,
      sourceDuration: media[m.id]?.video?.durationSec ?? media[m.id]?.durationSec ?? m.sourceDuration ?? null,
    })),
  };
  for (const m of planned.media) assertPaintable(m, media[m.id]);

  const layered = layeredMedia(planned.media, hdr.transfer !== null);
  const layers: LayerPlan | null =
    hdr.transfer !== null || layered.length > 0
      ? { output: hdr.transfer ?? "sdr", compositor: config.hdrCompositor, alpha: chosen.encode.alpha, mediaIds: layered.map((m) => m.id) }
      : null;

  let output = chosen;
  let contentLight: RenderPlan["contentLight"] = null;
  if (hdr.transfer === "pq" && chosen.encode.codecParams?.includes("max-cll=")) {
    const sources = lightSources(planned, range, layered);
    // Frames where no HDR source shows hold DOM graphics alone (up to 203 nits average).
    contentLight = await measureContentLight(sources.list, { signal: ctx.signal, domOnlyFrames: sources.domOnlyFrames });
    output = { ...chosen, encode: withContentLight(chosen.encode, contentLight.maxCll, contentLight.maxFall) };
  }

  const format = output.encode.format;
  const audio = format === "gif" || format === "png-sequence" ? [] : planAudio(planned, media, warn);
  return {
    plan: { planVersion: 1, composition: planned, range, media, output, hdr, layers, contentLight, audio, warnings },
  };
}

function isHdrOutput(encode: EncodeSettings): boolean {
  return encode.colour?.transfer === "smpte2084" || encode.colour?.transfer === "arib-std-b67";
}

/** Every media file once (by path), a few probes at a time: ffprobe is ~40 ms of mostly start-up each. */
async function probeAll(sources: MediaSource[], signal: AbortSignal, warn: (m: string) => void): Promise<Record<string, ProbedMedia>> {
  const wanted = sources.filter((m) => m.kind !== "image" || PROBED_IMAGE.test(m.path));
  const byPath = new Map<string, Promise<ProbedMedia | null>>();
  const probe = (m: MediaSource): Promise<ProbedMedia | null> => {
    let p = byPath.get(m.path);
    if (!p) {
      p = probeMediaFile(m.path, signal);
      byPath.set(m.path, p);
    }
    return p.then(
      (info) => info,
      (error: unknown) => {
        if (signal.aborted || !isFrameloomError(error) || error.code === "FLM_ERR_ABORTED") throw error;
        // An unreadable <audio> is left out of the mix; a video or still the page shows must be readable.
        if (m.kind === "audio" && error.code !== SharedErrors.MEDIA_FORMAT_REFUSED) {
          warn(`audio: ${label(m)} (${path.basename(m.path)}) cannot be read; it is left out of the mix`);
          return null;
        }
        const prefix = m.kind === "audio" ? `audio: ${label(m)} src` : `${label(m)} src`;
        throw new FrameloomError(error.code, `${prefix}: ${errorMessage(error)}`, { cause: error, details: error.details });
      },
    );
  };
  const out: Record<string, ProbedMedia> = {};
  for (let i = 0; i < wanted.length; i += 4) {
    const batch = wanted.slice(i, i + 4);
    const infos = await Promise.all(batch.map(probe));
    batch.forEach((m, k) => {
      const info = infos[k];
      if (info) out[m.id] = info;
    });
  }
  return out;
}

export function decideHdr(
  config: StageContext["config"],
  sources: MediaSource[],
  transfers: ReadonlyMap<string, string>,
  warn: (m: string) => void,
): HdrDecision {
  const requested = config.presets.requested;
  const mode = config.hdrMode;
  if (isHdrOutput(requested.encode)) {
    const transfer = requested.encode.colour?.transfer === "arib-std-b67" ? "hlg" : "pq";
    return { mode, transfer, reason: `the ${requested.preset} preset writes ${transfer === "pq" ? "PQ" : "HLG"}` };
  }
  if (mode === "sdr") return { mode, transfer: null, reason: "--sdr forces SDR" };
  const pq = sources.find((m) => transfers.get(m.id) === "pq");
  const hlg = sources.find((m) => transfers.get(m.id) === "hlg");
  const found = pq ?? hlg;
  let transfer: "pq" | "hlg" | null = pq ? "pq" : hlg ? "hlg" : null;
  let reason = found ? `${label(found)} is ${transfer === "pq" ? "PQ (smpte2084)" : "HLG (arib-std-b67)"}` : "no HDR source";
  if (mode === "hdr" && transfer === null) {
    transfer = "hlg";
    reason = "--hdr with no HDR source: HLG";
    warn("--hdr with no HDR source: rendering HLG (SDR content placed at 203 nits reference white)");
  }
  if (transfer !== null && config.presets.hdr === null) {
    const format = requested.encode.format;
    warn(`HDR sources found, but ${format} output is SDR only: rendering SDR (use mp4 for HDR)`);
    return { mode, transfer: null, reason: `${reason}, but ${format} output (${requested.preset}) is SDR only` };
  }
  return { mode, transfer, reason };
}

/**
 * Media the compositor paints: every video (SDR video is converted there, HDR video tone-mapped
 * for SDR output), and in an HDR render the stills with an HDR transfer.
 */
export function layeredMedia(media: MediaSource[], hdr: boolean): MediaSource[] {
  return media.filter((m) => m.kind === "video" || (hdr && m.kind === "image" && (m.transfer === "pq" || m.transfer === "hlg")));
}

function assertPaintable(m: MediaSource, info: ProbedMedia | undefined): void {
  const video = info?.video;
  if (!video) {
    if (m.kind === "video" && info) {
      throw new FrameloomError(SharedErrors.MEDIA_PROBE, `${label(m)} src: ${m.path} has no video stream ffprobe can read`);
    }
    return;
  }
  const painted = m.kind === "video" || video.transfer !== "sdr";
  if (painted && (video.width > MAX_MEDIA_SIDE || video.height > MAX_MEDIA_SIDE)) {
    throw new FrameloomError(
      PlanErrors.MEDIA_TOO_LARGE,
      `${label(m)} src: ${m.path} is ${video.width}x${video.height}; media the compositor paints is limited to ${MAX_MEDIA_SIDE} px (8K) per side`,
    );
  }
}

/**
 * HDR sources and the source-local windows in which they are on screen within the range, and whether some frames of
 * the range show none of them.
 */
function lightSources(composition: Composition, range: FrameRange, layered: MediaSource[]): { list: LightSource[]; domOnlyFrames: boolean } {
  const { num, den } = composition.fps;
  const from = (range.from * den) / num;
  const to = (range.to * den) / num;
  const out: LightSource[] = [];
  const shown: { start: number; end: number }[] = [];
  for (const m of layered) {
    if (m.transfer !== "pq" && m.transfer !== "hlg") continue;
    const window = mediaWindowIn(m, from, to);
    if (!window) continue;
    const { start, end } = window;
    shown.push(window);
    const rate = m.playbackRate ?? 1;
    const length = m.sourceDuration != null ? m.sourceDuration - m.mediaStart : null;
    let a = m.mediaStart + (start - m.start) * rate;
    let b = m.mediaStart + (end - m.start) * rate;
    // A looping clip (or one held on its last frame) is on screen over its whole length.
    if (length !== null && (b - m.mediaStart > length || m.loop)) {
      a = m.mediaStart;
      b = m.mediaStart + length;
    }
    out.push({ path: m.path, transfer: m.transfer, windows: [{ from: a, to: b }], still: m.kind === "image" });
  }
  let covered = from;
  for (const w of shown.sort((x, y) => x.start - y.start)) if (w.start <= covered + 1e-9) covered = Math.max(covered, w.end);
  return { list: out, domOnlyFrames: covered < to - 1e-9 };
}

/** The encode settings with `max-cll=<MaxCLL>,<MaxFALL>` written over the preset's. */
export function withContentLight(encode: EncodeSettings, maxCll: number, maxFall: number): EncodeSettings {
  const codecParams = (encode.codecParams ?? "").replace(/max-cll=\d+,\d+/, `max-cll=${Math.round(maxCll)},${Math.round(maxFall)}`);
  return { ...encode, codecParams };
}

/** The sounds of the mix: each probed source with an audio stream, windowed to the composition (§2.3). */
function planAudio(composition: Composition, media: Record<string, ProbedMedia>, warn: (m: string) => void): PlannedAudioTrack[] {
  const end = composition.durationSec;
  const tracks: PlannedAudioTrack[] = [];
  for (const m of composition.media) {
    if (m.hasAudio !== true || m.kind === "image" || m.start >= end) continue;
    const info = media[m.id];
    if (!info) continue; // unreadable <audio>: warned while probing
    if (!info.audio) {
      if (m.kind === "audio") warn(`audio: ${label(m)} (${path.basename(m.path)}) has no audio stream; it is left out of the mix`);
      continue;
    }
    const rate = m.playbackRate ?? 1;
    const sourceSec = info.audio.durationSec;
    const playable = sourceSec === null ? null : (sourceSec - m.mediaStart) / rate;
    if (playable !== null && playable <= 0) {
      warn(`audio: ${label(m)} starts at ${m.mediaStart}s into a ${sourceSec}s file; nothing to play`);
      continue;
    }
    let length = m.duration ?? playable ?? end - m.start;
    if (m.kind === "audio" && m.duration !== null && playable !== null && m.duration > playable + SLOT_TOLERANCE_SEC) {
      warn(`audio: ${label(m)} slot of ${m.duration}s is longer than its source (${playable.toFixed(3)}s); shortened to the source`);
      length = playable;
    }
    length = Math.min(length, end - m.start);
    if (!(length > 0)) continue;
    tracks.push({ id: m.id, path: m.path, start: m.start, length, mediaStart: m.mediaStart, rate, volume: m.volume ?? 1, channels: info.audio.channels });
  }
  return tracks;
}

export const stage: Stage<PlanStageInput, { plan: RenderPlan }> = {
  meta,
  run: (input, ctx) => runPlanStage(input, ctx),
};
