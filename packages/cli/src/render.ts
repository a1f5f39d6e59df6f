/**
 * The Node API: `render(options)` validates options, wires the default stages (or the ones given),
 * runs the kernel and returns a summary. The CLI is a thin layer over this.
 */
import { Kernel, buildRenderConfig, type KernelHooks, type RenderOptions, type StageSpec } from "@frameloom/kernel";
import {
  FrameloomError,
  fpsToString,
  type CaptureReport,
  type ContentLight,
  type HdrDecision,
  type ProgressEvent,
  type RenderConfig,
  type RenderPlan,
} from "@frameloom/shared-helpers";
import { defaultStages } from "./defaultStages.js";
import { CliErrors } from "./errors.js";

export interface RenderApiOptions extends RenderOptions {
  /** Replace stages by name: a stage object, a package name or a module path. */
  stages?: Record<string, StageSpec>;
  signal?: AbortSignal;
  onProgress?(event: ProgressEvent): void;
  onWarning?(message: string): void;
  hooks?: Partial<KernelHooks>;
}

export interface RenderSummary {
  output: string;
  frames: number;
  /** Render throughput: frames / wall seconds, set-up included. */
  fps: number;
  compositionFps: string;
  width: number;
  height: number;
  wallMs: number;
  perfStages: Record<string, number>;
  workers: number;
  route: string;
  preset: string;
  warnings: string[];
  /** Layered capture only: DOM layer screenshots taken, re-used (unchanged) and skipped (empty). */
  layers?: { layersCaptured: number; layersReused: number; layersSkippedEmpty: number };
  /** Which browser and capture method produced the frames, and how many were re-used (absent with a custom capture stage). */
  capture?: CaptureReport;
  /** Frames the encoder repeated from the previous picture instead of receiving them again (absent with a custom encode stage). */
  encode?: { framesRepeated: number };
  /** The plan's HDR decision (transfer null: SDR) and why, with the compositor of HDR renders; null for SDR renders. */
  hdr: (HdrDecision & { transfer: "pq" | "hlg"; compositor: "native" | "reference"; contentLight: ContentLight | null }) | null;
  /** The plan's decision for every render, SDR included: mode, transfer (null: SDR) and why. */
  hdrDecision: HdrDecision;
}

export async function render(options: RenderApiOptions): Promise<RenderSummary> {
  const started = performance.now();
  const { stages: overrides, signal, onProgress, onWarning, hooks, ...renderOptions } = options;
  const config = buildRenderConfig(renderOptions, process.cwd());
  const stages = stageSetWith(overrides);
  const kernel = new Kernel();
  if (onProgress) kernel.addHook("onProgress", onProgress);
  if (onWarning) kernel.addHook("onWarning", onWarning);
  const { job, values, stats } = await kernel.render({ config, stages, signal, hooks });
  return summarise(config, values.plan as RenderPlan, job, stats, performance.now() - started);
}

/** The default stage set with `--stage name=…` replacements; an unknown name is refused. */
export function stageSetWith(overrides: Record<string, StageSpec> | undefined, base = defaultStages()): Record<string, StageSpec> {
  const stages = { ...base };
  for (const [name, spec] of Object.entries(overrides ?? {})) {
    if (!(name in stages)) {
      throw new FrameloomError(
        CliErrors.UNKNOWN_STAGE,
        `--stage ${name}=…: there is no stage named "${name}" (stages: ${Object.keys(stages).join(", ")})`,
      );
    }
    stages[name] = spec;
  }
  return stages;
}

/** The render's summary from the plan and what the stages reported (no stage object is read after the run). */
export function summarise(
  config: RenderConfig,
  plan: RenderPlan,
  job: { perfStages: Record<string, number>; workers: number; warnings: string[] },
  stats: Record<string, Record<string, unknown>>,
  wallMs: number,
): RenderSummary {
  const capture = stats.capture as
    | { route?: string; report?: CaptureReport; layersCaptured?: number; layersReused?: number; layersSkippedEmpty?: number }
    | undefined;
  const frames = plan.range.to - plan.range.from;
  const ms = Math.round(wallMs);
  const layers = capture && (capture.layersCaptured ?? 0) + (capture.layersReused ?? 0) > 0
    ? { layersCaptured: capture.layersCaptured ?? 0, layersReused: capture.layersReused ?? 0, layersSkippedEmpty: capture.layersSkippedEmpty ?? 0 }
    : undefined;
  const { transfer } = plan.hdr;
  return {
    output: config.output,
    frames,
    fps: Math.round((frames / (ms / 1000)) * 100) / 100,
    compositionFps: fpsToString(plan.composition.fps),
    width: plan.composition.width,
    height: plan.composition.height,
    wallMs: ms,
    perfStages: job.perfStages,
    workers: job.workers,
    route: capture?.route ?? "custom",
    preset: plan.output.preset,
    warnings: job.warnings,
    hdr: transfer ? { ...plan.hdr, transfer, compositor: config.hdrCompositor, contentLight: plan.contentLight } : null,
    hdrDecision: plan.hdr,
    layers,
    capture: capture?.report,
    encode: typeof stats.encode?.framesRepeated === "number" ? { framesRepeated: stats.encode.framesRepeated } : undefined,
  };
}
