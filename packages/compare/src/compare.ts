/**
 * `compare(a, b)`: is b the same video as a? Structural checks first (kind, resolution, frame
 * count, frame rate, duration); then PSNR at checkpoints (every file of a png sequence), audio by
 * envelope correlation, and optional diff images of the worst checkpoints.
 *
 * Invariants: every failed check adds one line to `failures` naming both sides' values; `pass`
 * is `failures.length === 0`; thresholds are resolved once here (DEFAULTS) and reported back.
 */
import { FrameloomError, assertNotAborted } from "@frameloom/shared-helpers";
import { compareAudio } from "./audio.js";
import { checkpointSpots, parseRate, worstByFrame } from "./checkpoints.js";
import { writeDiffImages } from "./diffImages.js";
import { CompareErrors } from "./errors.js";
import { probeInput, type ProbedInput } from "./probe.js";
import { framePsnr } from "./psnr.js";
import type { Checkpoint, CompareOptions, CompareResult, MediaInfo, VideoComparison } from "./types.js";

export const DEFAULTS = {
  checkpoints: 100,
  minPsnr: 30,
  maxFrameFailures: 0,
  minAudioCorrelation: 0.9,
  maxAudioLagWindows: 5,
  diffCount: 5,
} as const;

function resolveThresholds(options: CompareOptions): CompareResult["thresholds"] & { diffCount: number } {
  const t = {
    checkpoints: options.checkpoints ?? DEFAULTS.checkpoints,
    minPsnr: options.minPsnr ?? DEFAULTS.minPsnr,
    maxFrameFailures: options.maxFrameFailures ?? DEFAULTS.maxFrameFailures,
    minAudioCorrelation: options.minAudioCorrelation ?? DEFAULTS.minAudioCorrelation,
    maxAudioLagWindows: options.maxAudioLagWindows ?? DEFAULTS.maxAudioLagWindows,
    diffCount: options.diffCount ?? DEFAULTS.diffCount,
  };
  const flag = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const bad = (name: string, expected: string, value: unknown) =>
    new FrameloomError(CompareErrors.OPTION_INVALID, `${name} (${flag(name)}): expected ${expected}, got ${String(value)}`, { details: { option: name } });
  for (const key of ["checkpoints", "maxAudioLagWindows"] as const) {
    if (!Number.isInteger(t[key]) || t[key] < 1) throw bad(key, "an integer ≥ 1", t[key]);
  }
  for (const key of ["maxFrameFailures", "diffCount"] as const) {
    if (!Number.isInteger(t[key]) || t[key] < 0) throw bad(key, "an integer ≥ 0", t[key]);
  }
  if (!Number.isFinite(t.minPsnr) || t.minPsnr < 0) throw bad("minPsnr", "a number of dB ≥ 0", t.minPsnr);
  if (!(t.minAudioCorrelation >= -1 && t.minAudioCorrelation <= 1)) throw bad("minAudioCorrelation", "a number in [-1, 1]", t.minAudioCorrelation);
  return t;
}

function mediaInfo(p: ProbedInput): MediaInfo {
  const { files: _files, decoder: _decoder, ...info } = p;
  return info;
}

const fmtDb = (v: number) => (v === Infinity ? "inf" : `${v.toFixed(2)} dB`);

function structuralFailures(a: ProbedInput, b: ProbedInput): string[] {
  const failures: string[] = [];
  if (a.kind !== b.kind) failures.push(`kind: a is a ${a.kind}, b is a ${b.kind}`);
  if (a.width !== b.width || a.height !== b.height) failures.push(`resolution: a is ${a.width}×${a.height}, b is ${b.width}×${b.height}`);
  if (a.frames !== b.frames) failures.push(`frame count: a has ${a.frames} frames, b has ${b.frames}`);
  if (a.kind === "video" && b.kind === "video") {
    const ra = parseRate(a.fps!), rb = parseRate(b.fps!);
    if (Math.abs(ra - rb) > 1e-6) failures.push(`frame rate: a is ${a.fps}, b is ${b.fps}`);
    const tolerance = Math.max(0.05, 1 / (ra || 30));
    if (Math.abs(a.duration - b.duration) > tolerance) failures.push(`duration: a is ${a.duration.toFixed(3)} s, b is ${b.duration.toFixed(3)} s`);
  } else if (a.kind === "png-sequence" && b.kind === "png-sequence") {
    const onlyA = a.files.filter((f) => !b.files.includes(f));
    const onlyB = b.files.filter((f) => !a.files.includes(f));
    if (onlyA.length || onlyB.length) {
      const list = (xs: string[]) => (xs.length ? xs.slice(0, 3).join(", ") + (xs.length > 3 ? ", …" : "") : "none");
      failures.push(`files: only in a: ${list(onlyA)}; only in b: ${list(onlyB)}`);
    }
  }
  return failures;
}

function videoComparison(a: ProbedInput, perFrame: number[], t: CompareResult["thresholds"]): VideoComparison {
  const checkpoints: Checkpoint[] =
    a.kind === "png-sequence"
      ? perFrame.map((psnr, i) => ({ index: i, frame: i, time: 0, psnr, pass: psnr >= t.minPsnr, file: a.files[i] }))
      : checkpointSpots(perFrame.length, parseRate(a.fps!), t.checkpoints).map((spot) => {
          const psnr = perFrame[spot.frame]!;
          return { ...spot, psnr, pass: psnr >= t.minPsnr };
        });
  const failed = checkpoints.filter((c) => !c.pass);
  const finite = checkpoints.map((c) => c.psnr).filter(Number.isFinite);
  return {
    bitDepth: a.bitDepth,
    checkpoints,
    failedCheckpoints: failed.length,
    minPsnr: Math.min(...checkpoints.map((c) => c.psnr)),
    meanPsnr: finite.length ? finite.reduce((s, v) => s + v, 0) / finite.length : Infinity,
    firstFailure: failed[0] ?? null,
    pass: failed.length <= t.maxFrameFailures,
  };
}

export async function compare(a: string, b: string, options: CompareOptions = {}): Promise<CompareResult> {
  const t = resolveThresholds(options);
  const { signal } = options;
  // One after the other, so a bad a is always the error reported first.
  const pa = await probeInput(a, "a", signal);
  const pb = await probeInput(b, "b", signal);
  // One depth for both sides: a 10-bit source compared with an 8-bit one is compared in 10-bit.
  pa.bitDepth = pb.bitDepth = pa.bitDepth === 10 || pb.bitDepth === 10 ? 10 : 8;
  const thresholds = { checkpoints: t.checkpoints, minPsnr: t.minPsnr, maxFrameFailures: t.maxFrameFailures, minAudioCorrelation: t.minAudioCorrelation, maxAudioLagWindows: t.maxAudioLagWindows };
  const failures = structuralFailures(pa, pb);
  const comparable = pa.kind === pb.kind && pa.width === pb.width && pa.height === pb.height;
  let video: VideoComparison | null = null;
  let diffImages: string[] = [];
  if (comparable) {
    const perFrame = await framePsnr(pa, pb, signal);
    assertNotAborted(signal);
    video = videoComparison(pa, perFrame, thresholds);
    if (!video.pass) {
      const first = video.firstFailure!;
      const where = first.file ? `file ${first.file}` : `checkpoint ${first.index}, frame ${first.frame}, t=${first.time.toFixed(3)} s`;
      const unit = pa.kind === "png-sequence" ? "files" : "checkpoints";
      failures.push(
        `video: ${video.failedCheckpoints} of ${video.checkpoints.length} ${unit} below ${t.minPsnr} dB (allowed ${t.maxFrameFailures}); first at ${where}: ${fmtDb(first.psnr)}`,
      );
    }
    if (options.diffDir && t.diffCount > 0) {
      diffImages = await writeDiffImages(pa, pb, worstByFrame(video.checkpoints, t.diffCount, false), options.diffDir, signal);
    }
  }
  const audio = await compareAudio(pa, pb, { minCorrelation: t.minAudioCorrelation, maxLagWindows: t.maxAudioLagWindows, signal });
  if (!audio.pass) {
    failures.push(
      audio.present === "both"
        ? `audio: correlation ${audio.correlation.toFixed(4)} below ${t.minAudioCorrelation} (best lag ${audio.lagWindows} windows, searched ±${t.maxAudioLagWindows})`
        : `audio: only ${audio.present === "a-only" ? "a" : "b"} has an audio stream`,
    );
  }
  return { pass: failures.length === 0, failures, a: mediaInfo(pa), b: mediaInfo(pb), video, audio, diffImages, thresholds };
}
