/**
 * Rendering from a plan directory: `frameloom plan` (compile + plan + audio once, written as a
 * self-contained directory), `frameloom render-plan` (one frame range of it, encoded as a segment
 * with the whole render's settings) and `frameloom assemble` (segments joined without re-encoding,
 * the plan's audio muxed). The distributed worker calls the same three functions.
 *
 * Invariants:
 * - Planning runs the kernel over the default compile/plan/audio stages (the CLI plans nothing
 *   itself); its last stage writes the directory while the mixed audio still exists.
 * - A segment is rendered from the plan alone: the `plan` stage is replaced by one that hands on
 *   the stored plan (no compile, no probe), over a project tree holding only what the range needs.
 * - Segments and the assembled output are written atomically (the kernel's temp name + rename;
 *   assembleSegments' own).
 */
import path from "node:path";
import { Kernel, PRESETS, buildRenderConfig, type RenderOptions, type StageSpec } from "@frameloom/kernel";
import {
  FrameloomError,
  createTempDir,
  parseFrameRange,
  type AudioTrack,
  type FrameRange,
  type ProgressEvent,
  type RenderPlan,
  type Stage,
} from "@frameloom/shared-helpers";
import { defaultAssembler } from "./defaultStages.js";
import { PlanDirErrors } from "./errors.js";
import { materialiseProject, planAudioPath, readPlanDir, writePlanDir, type PlanManifest } from "./planDir.js";
import { stageSetWith, summarise, type RenderSummary } from "./render.js";

/** Default chunk length of a distributed render, frames. */
export const DEFAULT_CHUNK_SIZE = 60;

export interface PlanApiOptions extends Omit<RenderOptions, "output"> {
  /** The plan directory to write (replaced when it is a previous plan dir). */
  planDir: string;
  chunkSize?: number;
  /** The final output the plan is for (its extension picks the format, like `render -o`); default from the preset. */
  output?: string;
  stages?: Record<string, StageSpec>;
  signal?: AbortSignal;
  onWarning?(message: string): void;
}

export interface PlanResult {
  dir: string;
  manifest: PlanManifest;
  plan: RenderPlan;
  planMs: number;
}

/** A stand-in output name of the format the options ask for (the plan writes no file of it). */
function outputNameFor(options: Omit<RenderOptions, "output">): string {
  const format = options.format ?? (options.preset ? PRESETS[options.preset]?.encode.format : undefined) ?? "mp4";
  return format === "png-sequence" ? "frames" : `output.${format}`;
}

export async function planProject(options: PlanApiOptions): Promise<PlanResult> {
  const started = performance.now();
  const { planDir, chunkSize = DEFAULT_CHUNK_SIZE, stages: overrides, signal, onWarning, output, ...renderOptions } = options;
  const outDir = path.resolve(planDir);
  const config = buildRenderConfig({ ...renderOptions, output: output ?? path.join(outDir, outputNameFor(renderOptions)) });
  const all = stageSetWith(overrides);
  let written: { dir: string; manifest: PlanManifest } | undefined;
  const writePlan: Stage<{ plan: RenderPlan; audio?: AudioTrack | null }, { planDir: string }> = {
    meta: {
      name: "write-plan",
      kernel: "^2.0.0",
      needs: { plan: "RenderPlan" },
      optional: { audio: "AudioTrack" },
      provides: { planDir: "PlanDir" },
    },
    async run(input, ctx) {
      written = await writePlanDir({
        plan: input.plan,
        audioPath: input.audio?.path ?? null,
        audioDurationSec: input.audio?.durationSec,
        chunkSize,
        outDir,
        exclude: [outDir, config.output],
        signal: ctx.signal,
      });
      return { planDir: written.dir };
    },
  };
  const kernel = new Kernel();
  if (onWarning) kernel.addHook("onWarning", onWarning);
  const { values } = await kernel.render({
    config,
    stages: { compile: all.compile!, plan: all.plan!, audio: all.audio!, "write-plan": writePlan },
    signal,
    producesOutput: false,
  });
  return { dir: written!.dir, manifest: written!.manifest, plan: values.plan as RenderPlan, planMs: Math.round(performance.now() - started) };
}

/** A `plan` stage that hands on a stored plan: nothing is compiled or probed again. */
export function storedPlanStage(plan: RenderPlan): Stage<Record<string, never>, { plan: RenderPlan }> {
  return {
    meta: { name: "plan", kernel: "^2.0.0", needs: {}, provides: { plan: "RenderPlan" } },
    run: async () => ({ plan }),
  };
}

export interface RenderPlanOptions {
  planDir: string;
  /** Frames to render, `A-B` inclusive (CLI form) or a range `[from, to)`; default the whole plan. */
  frames?: string | FrameRange;
  /** The segment to write (a directory for png-sequence plans). */
  output: string;
  workers?: number | "auto";
  route?: "auto" | "streaming" | "disk" | "sequential";
  /** Replace a stage of the segment's set (capture, composite, encode). */
  stages?: Record<string, StageSpec>;
  signal?: AbortSignal;
  onProgress?(event: ProgressEvent): void;
  onWarning?(message: string): void;
}

/** Renders one range of a plan dir into a segment that joins its neighbours without re-encoding. */
export async function renderPlanRange(options: RenderPlanOptions): Promise<RenderSummary> {
  const started = performance.now();
  const { plan, manifest } = await readPlanDir(options.planDir);
  const range = rangeOf(options.frames, plan);
  const work = await createTempDir("render-plan");
  try {
    const { plan: local } = await materialiseProject({ dir: options.planDir, plan, manifest, chunk: range, workDir: work.path });
    const chunkPlan: RenderPlan = { ...local, range };
    const requested = buildRenderConfig({
      input: local.composition.entryFile,
      output: options.output,
      preset: plan.output.preset,
      workers: options.workers,
      route: options.route,
    });
    const config = { ...requested, presets: { requested: plan.output, hdr: null }, segment: true };
    const all = stageSetWith(options.stages);
    const kernel = new Kernel();
    if (options.onProgress) kernel.addHook("onProgress", options.onProgress);
    if (options.onWarning) kernel.addHook("onWarning", options.onWarning);
    const { job, stats } = await kernel.render({
      config,
      stages: { plan: storedPlanStage(chunkPlan), capture: all.capture!, composite: all.composite!, encode: all.encode! },
      signal: options.signal,
    });
    return summarise(config, chunkPlan, job, stats, performance.now() - started);
  } finally {
    await work.cleanup().catch(() => {});
  }
}

function rangeOf(frames: string | FrameRange | undefined, plan: RenderPlan): FrameRange {
  if (frames === undefined) return plan.range;
  const range = typeof frames === "string" ? parseFrameRange(frames, plan.composition.totalFrames) : frames;
  if (range.from < plan.range.from || range.to > plan.range.to || range.from >= range.to) {
    throw new FrameloomError(
      PlanDirErrors.CHUNK_INVALID,
      `frames ${range.from}-${range.to - 1} are outside the plan's frames ${plan.range.from}-${plan.range.to - 1}`,
    );
  }
  return range;
}

export interface AssemblePlanOptions {
  planDir: string;
  /** The segments, in frame order, covering the plan's range. */
  segments: { path: string; from: number; to: number }[];
  output: string;
  signal?: AbortSignal;
}

/** Joins a plan's segments without re-encoding and muxes its audio (cut to exactly N/fps); the output is written atomically. */
export async function assemblePlan(options: AssemblePlanOptions): Promise<{ output: string; frames: number; assembleMs: number }> {
  const { plan, manifest } = await readPlanDir(options.planDir);
  const audioPath = manifest.audio ? planAudioPath(path.resolve(options.planDir), manifest.audio.hash) : undefined;
  return defaultAssembler({
    segments: options.segments,
    settings: plan.output.encode,
    fps: plan.composition.fps,
    frames: plan.range.to - plan.range.from,
    audioPath,
    output: path.resolve(options.output),
    signal: options.signal,
  });
}

