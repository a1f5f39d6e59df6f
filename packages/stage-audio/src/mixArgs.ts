/**
 * Pure: mix tracks → the arguments of ONE ffmpeg run (COMPOSITION.md §4.2). No I/O here; the
 * plan stage probes the files and decides each track's window, this module only writes the graph.
 *
 * Per track i (input `-protocol_whitelist file -ss mediaStart -i file`: local files only):
 *   atrim=duration=length·rate → asetpts → atempo chain (rate ≠ 1) → mono→stereo pan →
 *   aresample=48000 → aformat fltp/stereo → volume → adelay=start (samples, all channels)
 * Then `amix=…:normalize=0` (a plain sum, which can clip), `apad` and `atrim` by sample to the
 * range [from, to) of composition time, `asetpts`, and AAC 192k 48 kHz stereo.
 */

import { MEDIA_INPUT_OPTIONS, type PlannedAudioTrack } from "@frameloom/shared-helpers";

/** The mix's sample rate (Hz); every track is resampled to it. */
export const MIX_SAMPLE_RATE = 48_000;

/** One sound of the mix: the plan's track (its window, offset, rate, gain and channels), without its id. */
export type MixTrack = Omit<PlannedAudioTrack, "id">;

export interface MixOptions {
  tracks: readonly MixTrack[];
  /** Composition time (s) of the output's first sample: range.from / fps. */
  from: number;
  /** Composition time (s) where the output ends (exclusive): range.to / fps. */
  to: number;
  /** File to write (`.m4a`). */
  output: string;
}

/** A number for an ffmpeg filter argument: at most 6 decimals, no exponent, no float noise. */
export function num(value: number): string {
  const fixed = value.toFixed(6).replace(/\.?0+$/, "");
  return fixed === "-0" ? "0" : fixed;
}

/** Composition seconds → a sample index at 48 kHz (rounded: exact for frame-aligned times). */
export const toSamples = (seconds: number): number => Math.round(seconds * MIX_SAMPLE_RATE);

/**
 * `atempo` factors whose product is `rate`, each within [0.5, 2] (ffmpeg's per-stage limits):
 * 4 → [2, 2], 0.25 → [0.5, 0.5], 5 → [2, 2, 1.25], 1 → [].
 */
export function atempoChain(rate: number): number[] {
  if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`playback rate ${rate} is not a positive number`);
  const stages: number[] = [];
  let rest = rate;
  while (rest > 2) {
    stages.push(2);
    rest /= 2;
  }
  while (rest < 0.5) {
    stages.push(0.5);
    rest /= 0.5;
  }
  if (Math.abs(rest - 1) > 1e-9) stages.push(rest);
  return stages;
}

/** The filter chain of one track, from `[i:a]` to `[a<i>]`. */
export function trackFilter(track: MixTrack, index: number): string {
  const filters = [`atrim=duration=${num(track.length * track.rate)}`, "asetpts=PTS-STARTPTS"];
  for (const factor of atempoChain(track.rate)) filters.push(`atempo=${num(factor)}`);
  if (track.channels === 1) filters.push("pan=stereo|c0=c0|c1=c0");
  filters.push(
    `aresample=${MIX_SAMPLE_RATE}`,
    `aformat=sample_fmts=fltp:sample_rates=${MIX_SAMPLE_RATE}:channel_layouts=stereo`,
    `volume=${num(track.volume)}`,
  );
  const delay = toSamples(track.start);
  if (delay > 0) filters.push(`adelay=delays=${delay}S:all=1`);
  return `[${index}:a]${filters.join(",")}[a${index}]`;
}

/** The whole filter graph: every track, their sum, and the cut to `[from, to)`; output label `[mix]`. */
export function buildFilterGraph(options: Omit<MixOptions, "output">): string {
  const { tracks } = options;
  if (tracks.length === 0) throw new RangeError("a mix needs at least one track");
  const first = toSamples(options.from);
  const end = toSamples(options.to);
  if (!(end > first) || first < 0) throw new RangeError(`empty or negative range [${options.from}, ${options.to})`);
  const chains = tracks.map((track, i) => trackFilter(track, i));
  const labels = tracks.map((_, i) => `[a${i}]`).join("");
  const sum =
    tracks.length === 1
      ? `${labels}anull`
      : `${labels}amix=inputs=${tracks.length}:duration=longest:dropout_transition=0:normalize=0`;
  const cut = `apad=whole_len=${end},atrim=start_sample=${first}:end_sample=${end},asetpts=PTS-STARTPTS`;
  return [...chains, `${sum},${cut}[mix]`].join(";");
}

/** Full ffmpeg argument list (without the binary). */
export function buildMixArgs(options: MixOptions): string[] {
  const inputs = options.tracks.flatMap((track) => [
    ...MEDIA_INPUT_OPTIONS,
    ...(track.mediaStart > 0 ? ["-ss", num(track.mediaStart)] : []),
    "-i",
    track.path,
  ]);
  return [
    "-hide_banner",
    "-nostdin",
    "-v",
    "error",
    "-y",
    ...inputs,
    "-filter_complex",
    buildFilterGraph(options),
    "-map",
    "[mix]",
    "-c:a",
    "aac",
    "-b:a",
    "192k",
    "-ar",
    String(MIX_SAMPLE_RATE),
    "-ac",
    "2",
    options.output,
  ];
}
