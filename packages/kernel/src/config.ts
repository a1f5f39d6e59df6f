/**
 * Render options (what a user or the CLI passes) validated with zod into a RenderConfig. Every
 * decision about the output is made here: the format follows the preset, `--format`, or else the
 * output's extension (`.webm` → webm, `.mov` → ProRes, `.gif` → gif), and the extension must match it.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { FrameloomError, parseFps, type EncodeSettings, type PlannedOutput, type RenderConfig } from "@frameloom/shared-helpers";
import { KernelErrors } from "./errors.js";
import { FORMAT_DEFAULT_PRESET, HDR_PRESETS, resolvePreset } from "./presets.js";

/** `--quality` on an HDR render: x265 speed and CRF. */
const HDR_QUALITY: Record<string, { speed?: string; crf?: number }> = {
  draft: { speed: "ultrafast", crf: 24 },
  standard: { speed: "veryfast", crf: 18 },
  high: { speed: "slow", crf: 14 },
} as const;

type Format = EncodeSettings["format"];

/** File extensions each format writes (png-sequence: a directory, named without these). */
export const FORMAT_EXTENSIONS: Readonly<Record<Format, readonly string[]>> = {
  mp4: [".mp4", ".m4v"],
  webm: [".webm"],
  mov: [".mov"],
  gif: [".gif"],
  "png-sequence": [],
};

const extensionOf = (output: string | undefined): string => path.extname(output ?? "").toLowerCase();

/** The format an output's extension asks for (`.webm` → webm, `.mov` → mov, …); undefined when it names none. */
export function formatForExtension(output: string | undefined): Format | undefined {
  const ext = extensionOf(output);
  return (Object.keys(FORMAT_EXTENSIONS) as Format[]).find((f) => FORMAT_EXTENSIONS[f].includes(ext));
}

/**
 * The preset an options object names: `--preset`, else the default preset of `--format`, else of
 * the format the output's extension names, else `--quality` (H.264 MP4).
 */
export function requestedPreset(options: RenderOptions): string {
  const format = options.format ?? formatForExtension(options.output);
  return options.preset ?? (format && format !== "mp4" ? FORMAT_DEFAULT_PRESET[format] : options.quality ?? "standard");
}

/** Refuses an output whose extension does not match the format written into it (png-sequence: no video extension). */
function assertOutputExtension(output: string, format: Format, preset: string): void {
  const ext = extensionOf(output);
  const allowed = FORMAT_EXTENSIONS[format];
  const ok = format === "png-sequence" ? formatForExtension(output) === undefined && ext !== ".png" : allowed.includes(ext);
  if (ok) return;
  const want = format === "png-sequence" ? "a directory name without a video extension" : allowed.join(" or ");
  throw new FrameloomError(
    KernelErrors.OUTPUT_FORMAT_MISMATCH,
    `output "${output}": ${ext ? `its extension "${ext}" does not match` : "it has no extension to match"} the ${format} format ` +
      `that preset "${preset}" writes ` +
      `(use ${want}; or choose the format: .mp4, .webm, .mov, .gif, or --format png-sequence for a directory)`,
  );
}

export function isHdrPreset(name: string): boolean {
  return HDR_PRESETS.has(name);
}

/** `--max-page-memory` default, MB. */
export const DEFAULT_MAX_PAGE_MEMORY_MB = 2048;

export const renderOptionsSchema = z
  .object({
    input: z.string().min(1, "input (a project directory or an .html file) is required"),
    output: z.string().min(1, "output path is required"),
    preset: z.string().optional(),
    quality: z.enum(["draft", "standard", "high"]).optional(),
    format: z.enum(["mp4", "webm", "mov", "gif", "png-sequence"]).optional(),
    fps: z.union([z.string(), z.number()]).optional(),
    frames: z.string().optional(),
    workers: z.union([z.literal("auto"), z.number().int().min(1).max(64)]).default("auto"),
    route: z.enum(["auto", "streaming", "disk", "sequential"]).default("auto"),
    strict: z.boolean().default(false),
    crf: z.number().int().min(0).max(63).optional(),
    speed: z.string().optional(),
    jpegQuality: z.number().int().min(1).max(100).optional(),
    /** auto: HDR when an HDR source is found; hdr: force (HLG without HDR sources); sdr: force SDR. */
    hdr: z.enum(["auto", "hdr", "sdr"]).default("auto"),
    hdrCompositor: z.enum(["native", "reference"]).default("native"),
    /** Per-page memory cap in MB: V8 heap limit and renderer RSS limit (`--max-page-memory`). */
    maxPageMemory: z
      .number({ message: "--max-page-memory expects a whole number of MB" })
      .int("--max-page-memory expects a whole number of MB")
      .min(64, "--max-page-memory must be at least 64 (MB)")
      .max(1_048_576, "--max-page-memory must be at most 1048576 (MB)")
      .default(DEFAULT_MAX_PAGE_MEMORY_MB),
    /** Leave Math.random / crypto.getRandomValues native (`--native-random`): renders stop being repeatable. */
    nativeRandom: z.boolean().default(false),
    /** SDR renders with `<video>`: inject frames as images (one screenshot) or capture layers (`--video-compositing`). */
    videoCompositing: z.enum(["inject", "layered"]).optional(),
    /** Which Chromium captures (`--browser`): auto, shell, system, or an executable's path. */
    browser: z.string().min(1, "--browser expects auto, shell, system or a path").optional(),
    /** How frames are produced (`--capture-method`): auto (BeginFrame where the probe passes), beginframe, screenshot. */
    captureMethod: z.enum(["auto", "beginframe", "screenshot"]).optional(),
    /** Repeat the previous frame when nothing painted changed (default true; `--no-frame-reuse` sets false). */
    frameReuse: z.boolean().optional(),
    /** Composition variables (COMPOSITION.md §2.5): an object, or its JSON text (`--variables`). */
    variables: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
    /** A JSON file of variables (`--variables-file`), relative to cwd; `variables` wins key by key. */
    variablesFile: z.string().min(1).optional(),
    /** Undeclared variables, type mismatches and enum values outside the options fail the render. */
    strictVariables: z.boolean().default(false),
  })
  .strict();

export type RenderOptions = z.input<typeof renderOptionsSchema>;

export function buildRenderConfig(options: RenderOptions, cwd = process.cwd()): RenderConfig {
  const parsed = renderOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new FrameloomError(
      KernelErrors.CONFIG_INVALID,
      `invalid render option ${issue.path.join(".") || "(options)"}: ${issue.message}`,
    );
  }
  const o = parsed.data;
  const presetName = requestedPreset(o);
  if (o.hdr === "sdr" && isHdrPreset(presetName)) {
    throw new FrameloomError(KernelErrors.CONFIG_INVALID, `--sdr contradicts the HDR preset "${presetName}"`);
  }
  const hdrQuality = HDR_QUALITY[o.quality ?? "standard"]!;
  const resolve = (name: string): PlannedOutput => {
    const hdr = isHdrPreset(name);
    const preset = resolvePreset(name, {
      encode: { speed: o.speed ?? (hdr ? hdrQuality.speed : undefined), crf: o.crf ?? (hdr ? hdrQuality.crf : undefined) },
      capture: {
        quality: o.jpegQuality,
        maxPageMemoryMb: o.maxPageMemory,
        nativeRandom: o.nativeRandom,
        videoCompositing: o.videoCompositing,
        browser: o.browser,
        method: o.captureMethod,
        reuseFrames: o.frameReuse,
      },
    });
    return { preset: preset.name, encode: preset.encode, capture: preset.capture };
  };
  const requested = resolve(presetName);
  if (o.format && requested.encode.format !== o.format) {
    throw new FrameloomError(
      KernelErrors.CONFIG_INVALID,
      `preset "${requested.preset}" writes ${requested.encode.format}, but --format ${o.format} was asked for`,
    );
  }
  // An SDR MP4 preset becomes HEVC HDR10 / HLG when the plan renders HDR; other formats stay SDR.
  const upgradable = requested.encode.format === "mp4" && !isHdrPreset(presetName) && o.hdr !== "sdr";
  const output = path.resolve(cwd, o.output);
  assertOutputExtension(output, requested.encode.format, requested.preset);
  const variables = resolveVariables(o.variables, o.variablesFile, cwd);
  return {
    input: path.resolve(cwd, o.input),
    output,
    fps: o.fps === undefined ? undefined : parseFps(o.fps),
    frames: o.frames,
    workers: o.workers,
    route: o.route,
    strict: o.strict,
    presets: { requested, hdr: upgradable ? { pq: resolve("hdr10"), hlg: resolve("hlg") } : null },
    hdrMode: o.hdr,
    hdrCompositor: o.hdrCompositor,
    ...(variables ? { variables } : {}),
    strictVariables: o.strictVariables,
  };
}

/** A JSON object of variables from text (`what` names the option), or a coded error saying what is wrong. */
function variablesObject(value: unknown, what: string): Record<string, unknown> {
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch (cause) {
      throw new FrameloomError(KernelErrors.CONFIG_INVALID, `${what} is not valid JSON (${cause instanceof Error ? cause.message : String(cause)}); pass an object like {"title":"Hello"}`, { cause });
    }
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    const got = Array.isArray(parsed) ? "an array" : parsed === null ? "null" : typeof parsed;
    throw new FrameloomError(KernelErrors.CONFIG_INVALID, `${what} must be a JSON object of variable values (like {"title":"Hello"}), got ${got}`);
  }
  try {
    return JSON.parse(JSON.stringify(parsed)) as Record<string, unknown>;
  } catch (cause) {
    throw new FrameloomError(KernelErrors.CONFIG_INVALID, `${what} must hold JSON values only`, { cause });
  }
}

/** `--variables-file` ⊕ `--variables` (the inline values win), validated once; undefined when neither is given. */
export function resolveVariables(inline: unknown, file: string | undefined, cwd: string): Record<string, unknown> | undefined {
  if (inline === undefined && file === undefined) return undefined;
  let fromFile: Record<string, unknown> = {};
  if (file !== undefined) {
    const absolute = path.resolve(cwd, file);
    let text: string;
    try {
      text = readFileSync(absolute, "utf8");
    } catch (cause) {
      throw new FrameloomError(KernelErrors.CONFIG_INVALID, `--variables-file ${absolute} cannot be read (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    }
    fromFile = variablesObject(text, `--variables-file ${absolute}`);
  }
  return { ...fromFile, ...(inline === undefined ? {} : variablesObject(inline, "--variables")) };
}
