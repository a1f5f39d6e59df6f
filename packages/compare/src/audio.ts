/** Audio of two inputs, decoded to mono 16 kHz and compared by RMS envelope (envelope.ts). */
import { findFfmpeg, runProcess } from "@frameloom/shared-helpers";
import { SAMPLE_RATE, bestCorrelation, rmsEnvelope } from "./envelope.js";
import { audioSourceOf, type ProbedInput } from "./probe.js";
import type { AudioComparison } from "./types.js";

export async function decodeMono16k(file: string, signal?: AbortSignal): Promise<Int16Array> {
  const { stdout } = await runProcess(
    findFfmpeg(),
    ["-v", "error", "-nostdin", "-i", file, "-map", "0:a:0", "-ac", "1", "-ar", String(SAMPLE_RATE), "-f", "s16le", "-acodec", "pcm_s16le", "-"],
    { signal, label: "ffmpeg (audio decode)" },
  );
  return new Int16Array(stdout.buffer, stdout.byteOffset, Math.floor(stdout.length / 2));
}

export async function compareAudio(
  a: ProbedInput,
  b: ProbedInput,
  opts: { minCorrelation: number; maxLagWindows: number; signal?: AbortSignal },
): Promise<AudioComparison> {
  const [fa, fb] = await Promise.all([audioSourceOf(a), audioSourceOf(b)]);
  if (!fa && !fb) return { present: "none", correlation: 1, lagWindows: 0, pass: true };
  if (!fa || !fb) return { present: fa ? "a-only" : "b-only", correlation: 0, lagWindows: 0, pass: false };
  const [sa, sb] = await Promise.all([decodeMono16k(fa, opts.signal), decodeMono16k(fb, opts.signal)]);
  const match = bestCorrelation(rmsEnvelope(sa), rmsEnvelope(sb), opts.maxLagWindows);
  return { present: "both", correlation: match.correlation, lagWindows: match.lagWindows, pass: match.correlation >= opts.minCorrelation };
}
