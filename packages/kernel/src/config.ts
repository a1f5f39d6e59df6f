/** Render options (what a user or the CLI passes) validated with zod into a RenderConfig. */
import path from "node:path";
import { z } from "zod";
import { FrameloomError, parseFps, type RenderConfig } from "@frameloom/shared-helpers";
import { KernelErrors } from "./errors.js";
import { FORMAT_DEFAULT_PRESET, resolvePreset } from "./presets.js";

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
  const presetName = o.preset ?? (o.format && o.format !== "mp4" ? FORMAT_DEFAULT_PRESET[o.format] : o.quality ?? "standard");
  const preset = resolvePreset(presetName, {
    encode: { crf: o.crf, speed: o.speed },
    capture: { quality: o.jpegQuality },
  });
  if (o.format && preset.encode.format !== o.format) {
    throw new FrameloomError(
      KernelErrors.CONFIG_INVALID,
      `preset "${preset.name}" writes ${preset.encode.format}, but --format ${o.format} was asked for`,
    );
  }
  return {
    input: path.resolve(cwd, o.input),
    output: path.resolve(cwd, o.output),
    preset: preset.name,
    fps: o.fps === undefined ? undefined : parseFps(o.fps),
    frames: o.frames,
    workers: o.workers,
    route: o.route,
    strict: o.strict,
    encode: preset.encode,
    capture: preset.capture,
  };
}
