/**
 * Per-frame PSNR of b against a in one ffmpeg pass (the `psnr` filter's stats file), frames paired
 * by index (both re-timed to pts = n), in a common pixel format: the inputs' own when they agree,
 * else 4:4:4 at the compared bit depth, with alpha when either side has it. HDR and other deeper
 * sources are compared in 10-bit, so the PSNR peak is 1023, not 255.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { findFfmpeg, runProcess } from "@frameloom/shared-helpers";
import { inputArgs, type ProbedInput } from "./probe.js";

export function commonFormat(a: ProbedInput, b: ProbedInput): string {
  if (a.pixFmt === b.pixFmt) return a.pixFmt;
  const deep = a.bitDepth === 10 || b.bitDepth === 10;
  const alpha = a.hasAlpha || b.hasAlpha;
  const rgb = (p: string) => /^(gbr|rgb|bgr|argb|abgr)/.test(p);
  if (rgb(a.pixFmt) && rgb(b.pixFmt)) return `gbr${alpha ? "a" : ""}p${deep ? "16le" : ""}`;
  return `yuv${alpha ? "a" : ""}444p${deep ? "10le" : ""}`;
}

/** psnr_avg per stats line, in order (Infinity for identical frames). */
export function parsePsnrStats(text: string): number[] {
  const values: number[] = [];
  for (const line of text.split("\n")) {
    const m = /psnr_avg:(inf|-?[\d.]+)/.exec(line);
    if (m) values.push(m[1] === "inf" ? Infinity : Number(m[1]));
  }
  return values;
}

export async function framePsnr(a: ProbedInput, b: ProbedInput, signal?: AbortSignal): Promise<number[]> {
  const dir = await mkdtemp(path.join(tmpdir(), "frameloom-compare-"));
  try {
    const stats = path.join(dir, "psnr.txt");
    const format = commonFormat(a, b);
    const chain = `settb=1,setpts=N,format=${format}`;
    const escaped = stats.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/:/g, "\\:");
    await runProcess(
      findFfmpeg(),
      [
        "-v", "error", "-nostdin", ...inputArgs(a), ...inputArgs(b),
        "-lavfi", `[0:v]${chain}[a];[1:v]${chain}[b];[a][b]psnr=stats_file='${escaped}':shortest=1`,
        "-f", "null", "-",
      ],
      { signal, label: "ffmpeg (psnr)" },
    );
    return parsePsnrStats(await readFile(stats, "utf8"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
