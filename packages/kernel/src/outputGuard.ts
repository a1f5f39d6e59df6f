/**
 * Output safety: what the kernel checks before a render starts, once the composition is known, and
 * when it moves the finished output into place. Nothing here ever deletes what it did not write.
 *
 * - A file output (mp4, webm, mov, gif) never replaces a directory.
 * - A png-sequence output (a directory) replaces an existing directory only when that one is empty
 *   or holds nothing but `frame_NNNNNN.png` files (what a previous png-sequence render wrote).
 * - The output is never the input, never contains it, and is never a file the composition reads
 *   (its entry file, its media).
 */
import { readdir, realpath, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { FrameloomError, type OutputFormat, type RenderConfig } from "@frameloom/shared-helpers";
import { KernelErrors } from "./errors.js";

/** What a png-sequence render writes into its directory (encode stage: `frame_%06d.png`, 1-based). */
const SEQUENCE_FILE = /^frame_\d{6,}\.png$/;

const statOrNull = (p: string) => stat(p).catch(() => null);

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/** The real path of a path that may not exist yet: its nearest existing ancestor resolved, the rest appended. */
export async function realPathOf(p: string): Promise<string> {
  const absolute = path.resolve(p);
  const rest: string[] = [];
  for (let dir = absolute; ; dir = path.dirname(dir)) {
    try {
      return path.join(await realpath(dir), ...rest.reverse());
    } catch {
      if (path.dirname(dir) === dir) return absolute;
      rest.push(path.basename(dir));
    }
  }
}

/** Null when `dir` may be replaced by a png sequence (empty, or frames only); else the first other entry. */
async function foreignEntry(dir: string): Promise<string | null> {
  const entries = await readdir(dir);
  return entries.find((name) => !SEQUENCE_FILE.test(name)) ?? null;
}

async function assertSequenceTarget(output: string): Promise<void> {
  const info = await statOrNull(output);
  if (!info) return;
  const foreign = info.isDirectory() ? await foreignEntry(output) : path.basename(output);
  if (foreign !== null) {
    throw new FrameloomError(
      KernelErrors.OUTPUT_DIRECTORY_IN_USE,
      info.isDirectory()
        ? `png-sequence output "${output}" is a directory holding "${foreign}", which no png-sequence render wrote; ` +
            `name an empty or new directory (a previous png-sequence output is replaced)`
        : `png-sequence output "${output}" is an existing file; a png sequence is a directory: name a new or empty one`,
    );
  }
}

/** Before anything starts: the output names no directory (png-sequence: a replaceable one) and is not the input. */
export async function assertOutputTarget(config: Pick<RenderConfig, "input" | "output" | "presets">): Promise<void> {
  const { output } = config;
  const format = config.presets.requested.encode.format;
  const outputReal = await realPathOf(output);
  const inputReal = await realpath(config.input).catch(() => null);
  if (inputReal !== null && isInside(outputReal, inputReal)) {
    throw new FrameloomError(
      KernelErrors.OUTPUT_OVERWRITES_INPUT,
      outputReal === inputReal
        ? `output "${output}" is the input itself; write the output outside the composition's files`
        : `output "${output}" contains the input "${config.input}"; write the output outside the composition's files`,
    );
  }
  if (format === "png-sequence") return assertSequenceTarget(output);
  if ((await statOrNull(output))?.isDirectory()) {
    throw new FrameloomError(
      KernelErrors.OUTPUT_IS_DIRECTORY,
      `output "${output}" is an existing directory, but ${format} output is a file: name the file (e.g. ` +
        `"${path.join(output, `video.${format}`)}"), or use --format png-sequence for a directory of frames`,
    );
  }
}

/** Once compile has run: the output is none of the files the composition reads (entry file, media). */
export async function assertNotAnInput(output: string, composition: unknown): Promise<void> {
  const c = (composition ?? {}) as { entryFile?: unknown; media?: unknown };
  const reads: { file: string; what: string }[] = [];
  if (typeof c.entryFile === "string") reads.push({ file: c.entryFile, what: "its entry file" });
  for (const m of Array.isArray(c.media) ? (c.media as { path?: unknown; kind?: unknown; id?: unknown }[]) : []) {
    if (typeof m?.path === "string") reads.push({ file: m.path, what: `the media of <${String(m.kind)} id="${String(m.id)}">` });
  }
  const outputReal = await realPathOf(output);
  for (const { file, what } of reads) {
    const real = await realPathOf(file);
    if (real === outputReal || isInside(outputReal, real)) {
      throw new FrameloomError(
        KernelErrors.OUTPUT_OVERWRITES_INPUT,
        `output "${output}" ${real === outputReal ? "is" : "contains"} ${real}, ${what}; write the output outside the composition's files`,
      );
    }
  }
}

/**
 * Moves the finished temp output into place. A file replaces a file atomically (rename) and never a
 * directory; a png-sequence directory replaces a previous sequence (checked again, just before).
 */
export async function replaceOutput(temp: string, output: string, format: OutputFormat): Promise<void> {
  if (format === "png-sequence") {
    await assertSequenceTarget(output);
    await rm(output, { recursive: true, force: true });
  } else if ((await statOrNull(output))?.isDirectory()) {
    throw new FrameloomError(KernelErrors.OUTPUT_IS_DIRECTORY, `output "${output}" became a directory during the render; it was left as it is`);
  }
  await rename(temp, output);
}
