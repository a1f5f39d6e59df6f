/**
 * `frameloom compare <a> <b>`: exit 0 when b matches a, 1 when it falls below a bar, 2 when the
 * comparison could not run (missing or unreadable input, bad option) — the `cmp`/`diff` convention,
 * so a script can tell "different" from "broken".
 */
import type { Command } from "commander";
import { COMPARE_DEFAULTS, compare, formatCompareReport } from "@frameloom/compare";
import { reportError } from "./reportError.js";

const num = (v: string) => (v.trim() === "" ? NaN : Number(v));

export function registerCompareCommand(program: Command): void {
  program
    .command("compare")
    .description("compare two renders (video files or png-sequence directories): PSNR at checkpoints, audio correlation, frame counts")
    .argument("<a>", "reference video or png-sequence directory (e.g. the golden)")
    .argument("<b>", "video or directory to check against it")
    .option("--checkpoints <n>", `checkpoints spread over the video (default ${COMPARE_DEFAULTS.checkpoints})`, num)
    .option("--min-psnr <dB>", `a checkpoint below this fails (default ${COMPARE_DEFAULTS.minPsnr})`, num)
    .option("--max-frame-failures <n>", `checkpoints allowed below --min-psnr (default ${COMPARE_DEFAULTS.maxFrameFailures})`, num)
    .option("--min-audio-correlation <r>", `floor on the audio envelope correlation (default ${COMPARE_DEFAULTS.minAudioCorrelation})`, num)
    .option("--max-audio-lag-windows <n>", `audio lag searched, in 64 ms windows (default ${COMPARE_DEFAULTS.maxAudioLagWindows})`, num)
    .option("--diff-dir <dir>", "write side-by-side PNGs (a | b | difference) of the worst checkpoints here")
    .option("--diff-count <n>", `how many diff images (default ${COMPARE_DEFAULTS.diffCount})`, num)
    .option("--json", "print one JSON object with every checkpoint", false)
    .action(async (a: string, b: string, opts) => {
      try {
        const result = await compare(a, b, {
          checkpoints: opts.checkpoints,
          minPsnr: opts.minPsnr,
          maxFrameFailures: opts.maxFrameFailures,
          minAudioCorrelation: opts.minAudioCorrelation,
          maxAudioLagWindows: opts.maxAudioLagWindows,
          diffDir: opts.diffDir,
          diffCount: opts.diffCount,
        });
        // JSON has no Infinity: identical frames are reported as null PSNR.
        if (opts.json) process.stdout.write(JSON.stringify(result, (_k, v) => (v === Infinity ? null : v)) + "\n");
        else process.stdout.write(formatCompareReport(result) + "\n");
        process.exitCode = result.pass ? 0 : 1;
      } catch (error) {
        reportError(error, { json: opts.json, exitCode: 2 });
      }
    });
}
