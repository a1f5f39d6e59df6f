/**
 * Side-by-side PNGs of chosen frames, a | b | difference (×4, so faint changes show), for a person
 * to look at. 8-bit RGB whatever the source: these are for eyes, not for measuring.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { findFfmpeg, runProcess } from "@frameloom/shared-helpers";
import { inputArgs, type ProbedInput } from "./probe.js";
import type { Checkpoint } from "./types.js";

function selectOne(input: ProbedInput, frame: number): { args: string[]; filter: string } {
  if (input.kind === "png-sequence") return { args: ["-i", path.join(input.path, input.files[frame]!)], filter: "format=rgb24" };
  return { args: inputArgs(input), filter: `select=eq(n\\,${frame}),format=rgb24` };
}

export async function writeDiffImages(a: ProbedInput, b: ProbedInput, worst: Checkpoint[], dir: string, signal?: AbortSignal): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const cp of worst) {
    const name = `checkpoint-${String(cp.index).padStart(3, "0")}-frame-${cp.frame}-t${cp.time.toFixed(3)}s.png`;
    const out = path.resolve(dir, name);
    const sa = selectOne(a, cp.frame), sb = selectOne(b, cp.frame);
    await runProcess(
      findFfmpeg(),
      [
        "-v", "error", "-nostdin", "-y", ...sa.args, ...sb.args,
        "-filter_complex",
        `[0:v]${sa.filter},split[a1][a2];[1:v]${sb.filter},scale=${a.width}:${a.height},split[b1][b2];` +
          `[a2][b2]blend=all_mode=difference,lutrgb=r='min(val*4,255)':g='min(val*4,255)':b='min(val*4,255)'[d];[a1][b1][d]hstack=inputs=3`,
        "-frames:v", "1", out,
      ],
      { signal, label: "ffmpeg (diff image)" },
    );
    written.push(out);
  }
  return written;
}
