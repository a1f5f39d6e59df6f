/**
 * The Node API: `render(options)` validates options, wires the default stages (or the ones given),
 * runs the kernel and returns a summary. The CLI is a thin layer over this.
 */
import { planHdr } from "@frameloom/stage-capture";
import {
  Kernel,
  buildRenderConfig,
  requestedPreset,
  PRESETS,
  type KernelHooks,
  type RenderOptions,
  type StageSpec,
} from "@frameloom/kernel";
import { FrameloomError, fpsToString, type CaptureReport, type ProgressEvent, type Composition } from "@frameloom/shared-helpers";
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
  /** Null for SDR renders. */
  hdr: { mode: string; transfer: "pq" | "hlg"; compositor: "native" | "reference" } | null;
}

export async function render(options: RenderApiOptions): Promise<RenderSummary> {
  const started = performance.now();
  const { stages: overrides, signal, onProgress, onWarning, hooks, ...renderOptions } = options;
  // HDR is decided before the kernel runs: it picks the preset (hdr10 / hlg) and the layered route.
  const requested = buildRenderConfig({ ...renderOptions, hdr: "sdr", preset: sdrPresetFor(renderOptions) });
  const presetName = requestedPreset(renderOptions);
  const format = PRESETS[presetName]?.encode.format ?? requested.encode.format;
  const detection = await planHdr(requested.input, {
    mode: renderOptions.hdr ?? "auto",
    format,
    hdrCapable: format === "mp4" || presetName === "prores-4444-hdr",
    signal,
    variables: requested.variables,
    strictVariables: requested.strictVariables,
  });
  for (const warning of detection.warnings) onWarning?.(warning);
  const config = buildRenderConfig(renderOptions, process.cwd(), detection);
  const stages = defaultStages();
  for (const [name, spec] of Object.entries(overrides ?? {})) {
    if (!(name in stages)) {
      throw new FrameloomError(
        CliErrors.UNKNOWN_STAGE,
        `--stage ${name}=…: there is no stage named "${name}" (stages: ${Object.keys(stages).join(", ")})`,
      );
    }
    stages[name] = spec;
  }
  const kernel = new Kernel();
  if (onProgress) kernel.addHook("onProgress", onProgress);
  if (onWarning) kernel.addHook("onWarning", onWarning);
  const { job, values } = await kernel.render({ config, stages, signal, hooks });
  const composition = values.composition as Composition;
  const range = values.range as { from: number; to: number };
  const hdr = config.hdr ? { mode: renderOptions.hdr ?? "auto", transfer: config.hdr.transfer, compositor: config.hdr.compositor } : null;
  const capture = values.capture as { route?: string; stats?: RenderSummary["layers"] & { report?: CaptureReport } } | undefined;
  const report = capture?.stats?.report;
  const wallMs = Math.round(performance.now() - started);
  const frames = range.to - range.from;
  return {
    output: config.output,
    frames,
    fps: Math.round((frames / (wallMs / 1000)) * 100) / 100,
    compositionFps: fpsToString(composition.fps),
    width: composition.width,
    height: composition.height,
    wallMs,
    perfStages: job.perfStages,
    workers: job.workers,
    route: capture?.route ?? "custom",
    preset: config.preset,
    warnings: [...detection.warnings, ...job.warnings],
    hdr,
    layers:
      capture?.stats && capture.stats.layersCaptured + capture.stats.layersReused > 0
        ? { layersCaptured: capture.stats.layersCaptured, layersReused: capture.stats.layersReused, layersSkippedEmpty: capture.stats.layersSkippedEmpty }
        : undefined,
    // A snapshot: the report's counters are live while capture runs.
    capture: report ? { ...report } : undefined,
  };
}

/** The options' preset with HDR presets swapped for an SDR one, to validate everything else first. */
function sdrPresetFor(options: RenderOptions): string | undefined {
  const name = requestedPreset(options);
  if (name === "prores-4444-hdr") return "prores-4444";
  return name === "hdr10" || name === "hlg" ? "standard" : options.preset;
}
