import { describe, expect, it } from "vitest";
import { HOP, SAMPLE_RATE, WINDOW, bestCorrelation, rmsEnvelope } from "./envelope.js";

/** 16 kHz samples: 880 Hz bursts at the given [start, end) seconds, shifted by `shift` seconds. */
function bursts(seconds: number, spans: [number, number][], shift = 0, amplitude = 0.5): Int16Array {
  const out = new Int16Array(seconds * SAMPLE_RATE);
  for (let i = 0; i < out.length; i++) {
    const t = i / SAMPLE_RATE - shift;
    const on = spans.some(([a, b]) => t >= a && t < b);
    out[i] = on ? Math.round(Math.sin(2 * Math.PI * 880 * t) * amplitude * 32767) : 0;
  }
  return out;
}
const SPANS: [number, number][] = [[0.3, 0.45], [0.9, 1.0], [1.7, 1.95], [2.4, 2.5], [3.1, 3.4]];

describe("rmsEnvelope", () => {
  it("windows of 2048, hop 1024, scaled to full scale", () => {
    const env = rmsEnvelope(new Int16Array(WINDOW + 3 * HOP).fill(16384));
    expect(env).toHaveLength(4);
    for (const v of env) expect(v).toBeCloseTo(0.5, 6);
    expect(rmsEnvelope(new Int16Array(WINDOW - 1))).toHaveLength(0);
  });
  it("a full-scale sine has RMS 1/√2", () => {
    const env = rmsEnvelope(bursts(1, [[0, 1]], 0, 1));
    expect(env[3]!).toBeCloseTo(Math.SQRT1_2, 2);
  });
});

describe("bestCorrelation", () => {
  const a = rmsEnvelope(bursts(4, SPANS));
  it("identical envelopes correlate at 1, lag 0", () => {
    const m = bestCorrelation(a, a, 5);
    expect(m.correlation).toBeCloseTo(1, 9);
    expect(m.lagWindows).toBe(0);
    expect(m.method).toBe("pearson");
  });
  it("a 200 ms shift (3.1 windows) is found within ±5 windows, not within ±1", () => {
    const b = rmsEnvelope(bursts(4, SPANS, 0.2));
    const wide = bestCorrelation(a, b, 5);
    expect(wide.lagWindows).toBe(3);
    expect(wide.correlation).toBeGreaterThan(0.9);
    expect(bestCorrelation(a, b, 1).correlation).toBeLessThan(0.6);
  });
  it("unrelated bursts correlate poorly", () => {
    const other = rmsEnvelope(bursts(4, [[0.0, 0.1], [1.2, 1.5], [2.0, 2.2], [2.8, 3.0]]));
    expect(bestCorrelation(a, other, 2).correlation).toBeLessThan(0.5);
  });
  it("flat envelopes are compared by level: silence = silence, silence ≠ tone, −6 dB tone scores 0.5", () => {
    const silence = rmsEnvelope(new Int16Array(SAMPLE_RATE * 2));
    const tone = rmsEnvelope(bursts(2, [[0, 2]], 0, 0.5));
    const quieter = rmsEnvelope(bursts(2, [[0, 2]], 0, 0.25));
    expect(bestCorrelation(silence, silence, 5)).toMatchObject({ correlation: 1, method: "level" });
    expect(bestCorrelation(silence, tone, 5).correlation).toBe(0);
    expect(bestCorrelation(tone, quieter, 5).correlation).toBeCloseTo(0.5, 2);
    expect(bestCorrelation(tone, tone, 5).correlation).toBeCloseTo(1, 6);
  });
});
