/**
 * Where a comparison looks: HyperFrames' checkpoint rule (COMPOSITION.md §7). Over the shorter
 * video's D seconds, S = max(0, D − 1/fps); checkpoint k of N sits at t_k = S·k/N, frame
 * round(t_k·fps). Short videos repeat frames across checkpoints, as HyperFrames' do.
 */
export interface CheckpointSpot {
  index: number;
  frame: number;
  time: number;
}

export function checkpointSpots(frames: number, fps: number, count: number): CheckpointSpot[] {
  if (frames <= 0) return [];
  const duration = frames / fps;
  const span = Math.max(0, duration - 1 / fps);
  return Array.from({ length: count }, (_, k) => {
    const time = (span * k) / count;
    return { index: k, time, frame: Math.min(frames - 1, Math.round(time * fps)) };
  });
}

/** Parses `num/den` or a plain number; NaN when unparsable or zero. */
export function parseRate(rate: string): number {
  const [num, den = "1"] = rate.split("/");
  const value = Number(num) / Number(den);
  return Number.isFinite(value) && value > 0 ? value : NaN;
}

/**
 * The `count` lowest-PSNR checkpoints, one per frame (short videos repeat a frame over several
 * checkpoints), worst first; identical (infinite) ones only when `withIdentical`.
 */
export function worstByFrame<T extends { frame: number; psnr: number; index: number }>(checkpoints: T[], count: number, withIdentical = true): T[] {
  const sorted = checkpoints.filter((c) => withIdentical || Number.isFinite(c.psnr)).sort((x, y) => x.psnr - y.psnr || x.index - y.index);
  const seen = new Set<number>();
  const out: T[] = [];
  for (const c of sorted) {
    if (out.length >= count) break;
    if (seen.has(c.frame)) continue;
    seen.add(c.frame);
    out.push(c);
  }
  return out;
}
