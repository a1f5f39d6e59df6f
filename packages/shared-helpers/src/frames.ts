import { FrameloomError, SharedErrors } from "./errors.js";
import { FRAME_SNAP_TOLERANCE, frameIndexAt } from "./frameMath.js";

/** A frame rate as an exact rational `num/den` (30000/1001 stays exact). */
export interface Fps {
  num: number;
  den: number;
}

/** A half-open frame range `[from, to)`: 0-based frame indices, `to` excluded. */
export interface FrameRange {
  from: number;
  to: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Parses `30`, `"30"` or `"30000/1001"`. Decimals such as `29.97` are refused (they are not exact):
 * the error says to write `30000/1001`.
 */
export function parseFps(value: string | number | Fps): Fps {
  if (typeof value === "object") return parseFps(`${value.num}/${value.den}`);
  const text = String(value).trim();
  const match = /^(\d+)(?:\/(\d+))?$/.exec(text);
  if (!match) {
    throw new FrameloomError(
      SharedErrors.FPS_INVALID,
      `fps "${text}" is not an integer or a rational like 30000/1001` +
        (/^\d+\.\d+$/.test(text) ? ` (write 29.97 as 30000/1001, 23.976 as 24000/1001)` : ""),
    );
  }
  let num = Number(match[1]);
  let den = match[2] === undefined ? 1 : Number(match[2]);
  if (den === 0 || num === 0) throw new FrameloomError(SharedErrors.FPS_INVALID, `fps "${text}" must be greater than 0`);
  const g = gcd(num, den);
  num /= g;
  den /= g;
  const rate = num / den;
  if (rate < 1 || rate > 240) throw new FrameloomError(SharedErrors.FPS_INVALID, `fps "${text}" must be between 1 and 240`);
  return { num, den };
}

export const fpsValue = (fps: Fps): number => fps.num / fps.den;
export const fpsToString = (fps: Fps): string => (fps.den === 1 ? String(fps.num) : `${fps.num}/${fps.den}`);

/**
 * Total frames for a duration (COMPOSITION.md §3.2): round when within 0.001 of a whole number,
 * else ceil. 5 s at 30 fps → 150; 2.00001 s → 60; 2.0001 s → 61.
 */
export function frameCount(durationSec: number, fps: Fps): number {
  const exact = (durationSec * fps.num) / fps.den;
  const rounded = Math.round(exact);
  return Math.abs(exact - rounded) <= FRAME_SNAP_TOLERANCE ? rounded : Math.ceil(exact);
}

/** Composition time of frame `i` in seconds (§3.3: quantised the way the runtime quantises). */
export function frameTime(index: number, fps: Fps): number {
  const rate = fpsValue(fps);
  return frameIndexAt(index / rate, rate) / rate;
}

export const rangeLength = (range: FrameRange): number => Math.max(0, range.to - range.from);

export function assertRange(range: FrameRange, total?: number): void {
  const ok =
    Number.isInteger(range.from) &&
    Number.isInteger(range.to) &&
    range.from >= 0 &&
    range.to > range.from &&
    (total === undefined || range.to <= total);
  if (!ok) {
    throw new FrameloomError(
      SharedErrors.FRAME_RANGE_INVALID,
      `frame range [${range.from}, ${range.to}) is invalid` + (total === undefined ? "" : ` for ${total} frames`),
    );
  }
}

/**
 * Parses the CLI form `A-B` (inclusive, 0-based, as a user reads frame numbers) into `[A, B+1)`.
 * `A-` means from A to the end. Refuses ranges outside `[0, total)`.
 */
export function parseFrameRange(text: string, total: number): FrameRange {
  const match = /^\s*(\d+)\s*-\s*(\d*)\s*$/.exec(text);
  if (!match) {
    throw new FrameloomError(SharedErrors.FRAME_RANGE_INVALID, `--frames "${text}" is not of the form A-B (e.g. 0-59)`);
  }
  const from = Number(match[1]);
  const to = match[2] === "" ? total : Number(match[2]) + 1;
  if (from >= total || to > total || to <= from) {
    throw new FrameloomError(
      SharedErrors.FRAME_RANGE_INVALID,
      `--frames "${text}" is outside the composition's frames 0-${total - 1}`,
    );
  }
  return { from, to };
}

/** Cuts a range into consecutive chunks of `size` frames (a whole number ≥ 1), the last one shorter when the length is no multiple. */
export function chunkRange(range: FrameRange, size: number): FrameRange[] {
  const chunks: FrameRange[] = [];
  for (let from = range.from; from < range.to; from += size) chunks.push({ from, to: Math.min(from + size, range.to) });
  return chunks;
}

/** Splits a range into at most `parts` contiguous ranges whose sizes differ by at most one. */
export function splitRange(range: FrameRange, parts: number): FrameRange[] {
  const length = rangeLength(range);
  const count = Math.max(1, Math.min(Math.floor(parts), length));
  const out: FrameRange[] = [];
  let from = range.from;
  for (let i = 0; i < count; i++) {
    const size = Math.floor(length / count) + (i < length % count ? 1 : 0);
    out.push({ from, to: from + size });
    from += size;
  }
  return out.filter((r) => rangeLength(r) > 0);
}

/** Splits several ranges into about `parts` pieces, cutting the largest piece first. */
export function splitRanges(ranges: FrameRange[], parts: number): FrameRange[] {
  const pieces = ranges.filter((r) => rangeLength(r) > 0).map((r) => ({ ...r }));
  while (pieces.length < parts) {
    pieces.sort((a, b) => rangeLength(b) - rangeLength(a));
    const largest = pieces[0];
    if (!largest || rangeLength(largest) < 2) break;
    const [a, b] = splitRange(largest, 2) as [FrameRange, FrameRange];
    pieces.splice(0, 1, a, b);
  }
  return pieces.sort((a, b) => a.from - b.from);
}

/** The sub-ranges of `range` whose frames `isDone` says are not done yet, in order. */
export function missingRanges(range: FrameRange, isDone: (frame: number) => boolean): FrameRange[] {
  const out: FrameRange[] = [];
  let start = -1;
  for (let i = range.from; i < range.to; i++) {
    if (!isDone(i)) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      out.push({ from: start, to: i });
      start = -1;
    }
  }
  if (start >= 0) out.push({ from: start, to: range.to });
  return out;
}
