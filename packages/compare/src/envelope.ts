/**
 * Audio similarity by RMS envelope (COMPOSITION.md §7): mono 16 kHz samples, windows of 2048
 * with hop 1024, values scaled to 0..1; the best Pearson correlation over lags in [−L, L].
 *
 * Two decisions of ours, where HyperFrames' rule breaks on short or steady audio:
 * - the minimum overlap is min(32 windows, half the shorter envelope), so a 2-second fixture
 *   (30 windows) can be compared at all (HyperFrames demands 33 and scores −1 otherwise);
 * - when either envelope is flat (standard deviation < FLAT_STD, a steady tone or silence) the
 *   Pearson value is noise, so the score is the ratio of the two mean levels instead (1 for two
 *   silences, 0 for silence against sound).
 */
export const WINDOW = 2048;
export const HOP = 1024;
export const SAMPLE_RATE = 16_000;
const MAX_MIN_OVERLAP = 32;
export const FLAT_STD = 1e-3;

export function rmsEnvelope(samples: Int16Array): Float64Array {
  if (samples.length < WINDOW) return new Float64Array(0);
  const count = Math.floor((samples.length - WINDOW) / HOP) + 1;
  const env = new Float64Array(count);
  for (let w = 0; w < count; w++) {
    let sum = 0;
    for (let i = w * HOP, end = i + WINDOW; i < end; i++) {
      const v = samples[i]! / 32768;
      sum += v * v;
    }
    env[w] = Math.sqrt(sum / WINDOW);
  }
  return env;
}

function stats(env: Float64Array): { mean: number; std: number } {
  if (env.length === 0) return { mean: 0, std: 0 };
  let mean = 0;
  for (const v of env) mean += v;
  mean /= env.length;
  let variance = 0;
  for (const v of env) variance += (v - mean) ** 2;
  return { mean, std: Math.sqrt(variance / env.length) };
}

/** Pearson correlation of a[i] with b[i + lag] over their overlap; null when the overlap is too short or flat. */
function pearsonAt(a: Float64Array, b: Float64Array, lag: number, minOverlap: number): number | null {
  const from = Math.max(0, -lag);
  const to = Math.min(a.length, b.length - lag);
  const n = to - from;
  if (n < minOverlap || n < 2) return null;
  let ma = 0, mb = 0;
  for (let i = from; i < to; i++) {
    ma += a[i]!;
    mb += b[i + lag]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = from; i < to; i++) {
    const da = a[i]! - ma, db = b[i + lag]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return null;
  return sab / Math.sqrt(saa * sbb);
}

export interface EnvelopeMatch {
  correlation: number;
  /** Lag (windows) of b against a at the best correlation. */
  lagWindows: number;
  /** "pearson", or "level" when an envelope was flat. */
  method: "pearson" | "level";
}

export function bestCorrelation(a: Float64Array, b: Float64Array, maxLag: number): EnvelopeMatch {
  const sa = stats(a), sb = stats(b);
  if (sa.std < FLAT_STD || sb.std < FLAT_STD) {
    const hi = Math.max(sa.mean, sb.mean);
    return { correlation: hi < FLAT_STD ? 1 : Math.min(sa.mean, sb.mean) / hi, lagWindows: 0, method: "level" };
  }
  const minOverlap = Math.min(MAX_MIN_OVERLAP, Math.floor(Math.min(a.length, b.length) / 2));
  let best = -1;
  let bestLag = 0;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const r = pearsonAt(a, b, lag, minOverlap);
    if (r !== null && (r > best || (r === best && Math.abs(lag) < Math.abs(bestLag)))) {
      best = r;
      bestLag = lag;
    }
  }
  return { correlation: best, lagWindows: bestLag, method: "pearson" };
}
