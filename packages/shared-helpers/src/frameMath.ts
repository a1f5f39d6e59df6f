/**
 * Frame-grid arithmetic shared by the Node side and the in-page runtime (stage-capture bundles this
 * file into the page). Invariants: no imports, no Node or DOM APIs, plain numbers in and out, so
 * the page and the capture put every time on the same frame.
 */

/** Slack added before flooring t·fps: 1/30 · 30 is 0.9999999999999999, which is frame 1, not 0. */
export const FRAME_EPSILON = 1e-9;

/** A value within this many frames of a whole frame counts as on it (frame counts, clip edges). */
export const FRAME_SNAP_TOLERANCE = 0.001;

/** Index of the frame that shows time `t` (s) at `rate` frames per second: floor(t·rate + ε). */
export function frameIndexAt(t: number, rate: number): number {
  return Math.floor(t * rate + FRAME_EPSILON);
}

/**
 * Time `t` (s) moved down onto the start of its frame (COMPOSITION.md §3.3); a non-number or a
 * negative time is 0. The page seeks to this time and the capture names frames by it.
 */
export function quantiseToFrame(t: number, rate: number): number {
  let x = Number(t);
  if (!isFinite(x) || x < 0) x = 0;
  return frameIndexAt(x, rate) / rate;
}

/**
 * A clip edge `x` (s) within FRAME_SNAP_TOLERANCE of a frame boundary snaps onto it
 * (0.2 + 0.1 = 0.30000000000000004 → 9/30; an authored 0.4667 → 14/30); any other edge is kept.
 */
export function snapToFrameEdge(x: number, rate: number): number {
  const f = x * rate;
  const r = Math.round(f);
  return Math.abs(f - r) <= FRAME_SNAP_TOLERANCE ? r / rate : x;
}
