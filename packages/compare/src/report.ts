/** The human report of a comparison: verdict, both inputs, failures, worst checkpoints first. */
import { worstByFrame } from "./checkpoints.js";
import type { CompareResult } from "./types.js";

const db = (v: number) => (v === Infinity ? "inf" : v.toFixed(2));

function describe(label: string, m: CompareResult["a"]): string {
  const rate = m.fps ? ` @ ${m.fps}` : "";
  return `${label}: ${m.path}\n   ${m.kind}, ${m.width}×${m.height}${rate}, ${m.frames} frames, ${m.pixFmt} (${m.bitDepth}-bit compare)${m.hasAlpha ? ", alpha" : ""}${m.hasAudio ? ", audio" : ""}`;
}

export function formatCompareReport(result: CompareResult, worstRows = 10): string {
  const t = result.thresholds;
  const lines = [
    `${result.pass ? "PASS" : "FAIL"}  (min PSNR ${t.minPsnr} dB, ≤ ${t.maxFrameFailures} failures, audio ≥ ${t.minAudioCorrelation} within ±${t.maxAudioLagWindows} windows)`,
    describe("a", result.a),
    describe("b", result.b),
  ];
  for (const f of result.failures) lines.push(`  ✗ ${f}`);
  const v = result.video;
  if (v) {
    const seq = result.a.kind === "png-sequence";
    lines.push(
      `video: ${v.checkpoints.length} ${seq ? "files" : "checkpoints"}, ${v.failedCheckpoints} below ${t.minPsnr} dB, min ${db(v.minPsnr)} dB, mean ${db(v.meanPsnr)} dB`,
      "",
      seq ? "  file                      PSNR dB" : "  checkpoint  frame   time s    PSNR dB",
    );
    const worst = worstByFrame(v.checkpoints, worstRows);
    for (const c of worst) {
      const mark = c.pass ? " " : "✗";
      lines.push(
        seq
          ? `${mark} ${(c.file ?? "").padEnd(24)}  ${db(c.psnr).padStart(7)}`
          : `${mark} ${String(c.index).padStart(10)}  ${String(c.frame).padStart(5)}  ${c.time.toFixed(3).padStart(7)}  ${db(c.psnr).padStart(9)}`,
      );
    }
    lines.push("");
  }
  const au = result.audio;
  if (au) {
    lines.push(
      au.present === "both"
        ? `audio: correlation ${au.correlation.toFixed(4)} at lag ${au.lagWindows} window(s) ${au.pass ? "ok" : "✗"}`
        : au.present === "none"
          ? "audio: neither has audio"
          : `audio: only ${au.present === "a-only" ? "a" : "b"} has audio ✗`,
    );
  }
  for (const file of result.diffImages) lines.push(`diff: ${file}`);
  return lines.join("\n");
}
