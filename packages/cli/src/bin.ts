#!/usr/bin/env node
/** The `frameloom` command: render, presets, doctor. */
import { Command, InvalidArgumentError, Option } from "commander";
import cliProgress from "cli-progress";
import { PRESETS } from "@frameloom/kernel";
import { FrameloomError, errorMessage, type ProgressEvent } from "@frameloom/shared-helpers";
import { CliErrors } from "./errors.js";
import path from "node:path";
import { render } from "./render.js";
import { DEFAULT_CHUNK_SIZE, assemblePlan, planProject, renderPlanRange } from "./planCommands.js";
import { readPlanDir } from "./planDir.js";
import { progressLine, renderDistributed, startRenderWorker } from "./distributedCommands.js";
import type { WorkerEvent } from "@frameloom/distributed";
import { fix, runChecks } from "./doctor.js";
import { registerCompareCommand } from "./compareCommand.js";
import { registerBenchmarkCommand } from "./benchmarkCommand.js";
import { registerFontsCommand } from "./fontsCommand.js";
import { reportError } from "./reportError.js";

function parseWorkers(value: string): number | "auto" {
  if (value === "auto") return "auto";
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer or "auto"');
  return n;
}

function collectStage(value: string, previous: Record<string, string>): Record<string, string> {
  const match = /^([a-z][\w-]*)=(.+)$/.exec(value);
  if (!match) throw new InvalidArgumentError("expected name=module, e.g. capture=./my-capture.js");
  return { ...previous, [match[1]!]: match[2]! };
}

function badFlags(): never {
  throw new FrameloomError(CliErrors.OPTION_INVALID, "--hdr and --sdr exclude each other: give one, or neither to detect HDR sources");
}

/** Commander's own errors (bad option values, unknown options, missing arguments) as the one coded line every error gets. */
function optionError(text: string): void {
  const message = text.replace(/^error: /, "").trim().split("\n").join(" ");
  if (process.argv.includes("--json")) process.stdout.write(JSON.stringify({ error: { code: CliErrors.OPTION_INVALID, message } }) + "\n");
  process.stderr.write(`frameloom: ${message} [${CliErrors.OPTION_INVALID}]\n`);
}

const program = new Command();
program.name("frameloom").description("Render HTML compositions to video, frame-exact.").version("0.1.0");
program.configureOutput({ outputError: optionError });

/** The options `render` and `plan` share: what the composition is and what the output is. */
function withCompositionOptions(command: Command): Command {
  return command
    .option("--fps <rate>", "frame rate: integer or rational like 30000/1001")
    .addOption(new Option("--quality <q>", "H.264 quality preset").choices(["draft", "standard", "high"]))
    .option("--preset <name>", `output preset (${Object.keys(PRESETS).join(", ")})`)
    .addOption(new Option("--format <f>", "output format").choices(["mp4", "webm", "mov", "gif", "png-sequence"]))
    .option("--frames <A-B>", "render only frames A to B (inclusive, 0-based)")
    .option("--crf <n>", "override the preset's CRF", (v) => Number(v))
    .option("--strict", "fail (instead of warn) on any network attempt outside the project, at any time", false)
    .option("--max-page-memory <MB>", "page memory cap: V8 heap and renderer RSS, in MB (default 2048)", (v) => Number(v))
    .option("--browser <which>", "Chromium that captures: auto (headless shell when installed), shell, system, or a path", "auto")
    .addOption(new Option("--capture-method <m>", "frame capture: auto (BeginFrame where supported), beginframe, screenshot").choices(["auto", "beginframe", "screenshot"]).default("auto"))
    .option("--no-frame-reuse", "capture every frame even when nothing changed since the previous one")
    .option("--native-random", "leave Math.random and crypto.getRandomValues unseeded (frames stop being repeatable)", false)
    .option("--variables <json>", "composition variables as a JSON object, e.g. '{\"title\":\"Hello\"}'")
    .option("--variables-file <file>", "composition variables from a JSON file (--variables wins key by key)")
    .option("--strict-variables", "fail on undeclared variables, type mismatches and enum values outside the options", false)
    .option("--hdr", "force HDR output (HLG when the composition has no HDR source)")
    .option("--sdr", "force SDR output (HDR sources are tone-mapped)")
    .addOption(new Option("--video-compositing <how>", "SDR video: inject frames as images (one screenshot) or layered capture + C++ compositing").choices(["inject", "layered"]))
    .addOption(new Option("--hdr-compositor <impl>", "HDR compositor: the C++ addon or the TypeScript reference").choices(["native", "reference"]).default("native"));
}

/** The render options (RenderOptions) the shared flags give. */
function compositionOptions(opts: Record<string, any>) {
  return {
    fps: opts.fps,
    quality: opts.quality,
    preset: opts.preset,
    format: opts.format,
    frames: opts.frames,
    crf: opts.crf,
    strict: opts.strict,
    maxPageMemory: opts.maxPageMemory,
    nativeRandom: opts.nativeRandom,
    browser: opts.browser,
    captureMethod: opts.captureMethod,
    frameReuse: opts.frameReuse,
    videoCompositing: opts.videoCompositing,
    variables: opts.variables,
    variablesFile: opts.variablesFile,
    strictVariables: opts.strictVariables,
    hdr: opts.hdr && opts.sdr ? badFlags() : opts.hdr ? "hdr" : opts.sdr ? "sdr" : "auto",
    hdrCompositor: opts.hdrCompositor,
  } as const;
}

withCompositionOptions(
program
  .command("render")
  .description("render a composition (project directory or .html file) to a video")
  .argument("<input>", "project directory (with index.html) or an .html file")
  .requiredOption("-o, --output <path>", "output file (a directory for png-sequence)")
)
  .option("--workers <n>", "browsers capturing in parallel, or auto", parseWorkers, "auto")
  .addOption(new Option("--route <r>", "capture route").choices(["auto", "streaming", "disk", "sequential"]).default("auto"))
  .option("--stage <name=module>", "replace a stage by package name or module path (repeatable)", collectStage, {})
  .option("--json", "print one JSON object with the result", false)
  .option("--quiet", "print nothing but errors (and --json output)", false)
  .option("--distributed", "render in chunks on frameloom workers through Redis (needs --redis)", false)
  .option("--redis <url>", "Redis URL of the distributed queue, e.g. redis://127.0.0.1:6379")
  .option("--chunk-size <frames>", `frames per chunk of a distributed render (default ${DEFAULT_CHUNK_SIZE})`, parseChunkSize, DEFAULT_CHUNK_SIZE)
  .option("--storage <dir>", "shared directory every worker sees (plan, segments; give workers the same); default .frameloom-distributed next to the output")
  .option("--queue <name>", "queue name of the distributed render (default frameloom-render)")
  .action(async (input: string, opts) => {
    if (opts.distributed || opts.redis) return renderDistributedCommand(input, opts);
    const controller = new AbortController();
    // First signal: cancel and clean up. A second one while that runs: exit now; the exit hooks
    // still kill every Chromium/ffmpeg group and remove the temp dirs (and the watchdog would).
    const onSignal = (signal: NodeJS.Signals) => {
      if (controller.signal.aborted) process.exit(signal === "SIGINT" ? 130 : 1);
      controller.abort(new Error(`interrupted (${signal})`));
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    process.on("SIGHUP", onSignal);
    const tty = process.stderr.isTTY && !opts.quiet && !opts.json;
    const bar = tty
      ? new cliProgress.SingleBar(
          { format: "{stage} [{bar}] {value}/{total} frames | {speed} fps | ETA {eta_formatted} | workers {workers}", hideCursor: true },
          cliProgress.Presets.shades_classic,
        )
      : null;
    let started = false;
    let lastLine = 0;
    const startedAt = performance.now();
    const onProgress = (event: ProgressEvent) => {
      if (opts.quiet || opts.json) return;
      const speed = (event.framesDone / ((performance.now() - startedAt) / 1000)).toFixed(1);
      if (bar) {
        if (!started && event.totalFrames > 0) {
          bar.start(event.totalFrames, 0, { stage: event.stage, speed, workers: event.workers });
          started = true;
        }
        if (started) bar.update(event.framesDone, { stage: event.stage, speed, workers: event.workers });
      } else if (event.stage === "capture" && (performance.now() - lastLine > 2000 || event.framesDone === event.totalFrames)) {
        lastLine = performance.now();
        process.stderr.write(`capture ${event.framesDone}/${event.totalFrames} frames, ${speed} fps, workers ${event.workers}\n`);
      }
    };
    try {
      const summary = await render({
        input,
        output: opts.output,
        ...compositionOptions(opts),
        workers: opts.workers,
        route: opts.route,
        stages: opts.stage,
        signal: controller.signal,
        onProgress,
        onWarning: (message) => {
          if (!opts.quiet && !opts.json) process.stderr.write(`warning: ${message}\n`);
        },
      });
      bar?.stop();
      if (opts.json) process.stdout.write(JSON.stringify(summary) + "\n");
      else if (!opts.quiet) {
        process.stdout.write(
          `${summary.output}\n${summary.frames} frames in ${(summary.wallMs / 1000).toFixed(1)} s (${summary.fps} fps, ${summary.workers} worker(s), ${summary.route})\n`,
        );
      }
    } catch (error) {
      bar?.stop();
      reportError(error, { json: opts.json });
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      process.off("SIGHUP", onSignal);
    }
  });

/** SIGINT/SIGTERM/SIGHUP cancel `controller`; a second signal exits at once (exit hooks still clean up). */
function cancelOnSignals(controller: AbortController): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signal === "SIGINT" ? 130 : 1);
    controller.abort(new Error(`interrupted (${signal})`));
  };
  for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, onSignal);
  return () => {
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.off(s, onSignal);
  };
}

/**
 * Runs one command's work: cancelled by SIGINT/SIGTERM/SIGHUP, its result printed as one JSON line (`--json`) or as
 * `text(result)` (unless `--quiet`), any error reported as one coded line.
 */
async function runCommand<T>(
  opts: { json?: boolean; quiet?: boolean },
  work: (signal: AbortSignal) => Promise<T>,
  text: (result: T) => string,
): Promise<void> {
  const controller = new AbortController();
  const release = cancelOnSignals(controller);
  try {
    const result = await work(controller.signal);
    if (opts.json) process.stdout.write(JSON.stringify(result) + "\n");
    else if (!opts.quiet) process.stdout.write(text(result) + "\n");
  } catch (error) {
    reportError(error, { json: opts.json });
  } finally {
    release();
  }
}

/** Warnings on stderr, unless `--json` or `--quiet`. */
const warnUnlessQuiet = (opts: { json?: boolean; quiet?: boolean }) => (message: string) => {
  if (!opts.json && !opts.quiet) process.stderr.write(`warning: ${message}\n`);
};

function parseChunkSize(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive whole number of frames");
  return n;
}

withCompositionOptions(
  program
    .command("plan")
    .description("compile and plan a render once into a self-contained plan directory (for render-plan and distributed workers)")
    .argument("<input>", "project directory (with index.html) or an .html file")
    .requiredOption("-o, --output <plan-dir>", "the plan directory to write (a previous plan dir there is replaced)"),
)
  .option("--chunk-size <frames>", `frames per chunk of a distributed render (default ${DEFAULT_CHUNK_SIZE})`, parseChunkSize, DEFAULT_CHUNK_SIZE)
  .option("--for <output>", "the final output the plan is for: its extension picks the format, as with render -o")
  .option("--json", "print one JSON object with the result", false)
  .option("--quiet", "print nothing but errors (and --json output)", false)
  .action((input: string, opts) =>
    runCommand(
      opts,
      async (signal) => {
        const result = await planProject({
          input,
          planDir: opts.output,
          output: opts.for,
          chunkSize: opts.chunkSize,
          ...compositionOptions(opts),
          signal,
          onWarning: warnUnlessQuiet(opts),
        });
        return {
          planDir: result.dir,
          planHash: result.manifest.planHash,
          frames: result.plan.range.to - result.plan.range.from,
          chunks: result.manifest.chunks.length,
          preset: result.plan.output.preset,
          hdr: result.plan.hdr,
          contentLight: result.plan.contentLight,
          planMs: result.planMs,
          warnings: result.plan.warnings,
        };
      },
      (r) => `${r.planDir}\n${r.frames} frames in ${r.chunks} chunk(s), ${r.preset}, plan ${r.planHash.slice(0, 12)}`,
    ),
  );

program
  .command("render-plan")
  .description("render one frame range of a plan directory as a segment (same encoder settings as the whole render)")
  .argument("<plan-dir>", "a directory written by frameloom plan")
  .requiredOption("-o, --output <path>", "the segment to write (a directory for png-sequence plans)")
  .option("--frames <A-B>", "frames A to B (inclusive, 0-based); default the whole plan")
  .option("--workers <n>", "browsers capturing in parallel, or auto", parseWorkers, "auto")
  .option("--json", "print one JSON object with the result", false)
  .option("--quiet", "print nothing but errors (and --json output)", false)
  .action((planDir: string, opts) =>
    runCommand(
      opts,
      (signal) =>
        renderPlanRange({ planDir, frames: opts.frames, output: opts.output, workers: opts.workers, signal, onWarning: warnUnlessQuiet(opts) }),
      (r) => `${r.output}\n${r.frames} frames in ${(r.wallMs / 1000).toFixed(1)} s`,
    ),
  );

program
  .command("assemble")
  .description("join a plan's segments (one per chunk, in order) without re-encoding and mux its audio")
  .argument("<plan-dir>", "a directory written by frameloom plan")
  .argument("<segments...>", "the segments, one per chunk of the plan, in frame order")
  .requiredOption("-o, --output <path>", "the final output (written atomically)")
  .option("--json", "print one JSON object with the result", false)
  .option("--quiet", "print nothing but errors (and --json output)", false)
  .action((planDir: string, segments: string[], opts) =>
    runCommand(
      opts,
      async (signal) => {
        const { manifest } = await readPlanDir(planDir);
        if (segments.length !== manifest.chunks.length) {
          throw new FrameloomError(
            CliErrors.OPTION_INVALID,
            `assemble: the plan has ${manifest.chunks.length} chunk(s) (${manifest.chunks.map((c) => `${c.from}-${c.to - 1}`).join(", ")}), ${segments.length} segment(s) were given`,
          );
        }
        const chunks = segments.map((file, i) => ({ path: path.resolve(file), ...manifest.chunks[i]! }));
        return assemblePlan({ planDir, segments: chunks, output: opts.output, signal });
      },
      (r) => `${r.output}\n${r.frames} frames, assembled in ${(r.assembleMs / 1000).toFixed(1)} s`,
    ),
  );

function renderDistributedCommand(input: string, opts: Record<string, any>): Promise<void> {
  let lastLine = 0;
  return runCommand(
    opts,
    (signal) => {
      if (!opts.redis || !opts.distributed) {
        throw new FrameloomError(CliErrors.OPTION_INVALID, "--distributed and --redis <url> go together: give both to render on workers, neither to render here");
      }
      return renderDistributed({
        input,
        output: opts.output,
        ...compositionOptions(opts),
        redisUrl: opts.redis,
        queue: opts.queue,
        chunkSize: opts.chunkSize,
        storage: opts.storage,
        signal,
        onWarning: warnUnlessQuiet(opts),
        onProgress: (p) => {
          if (opts.quiet || opts.json) return;
          if (performance.now() - lastLine > 1000 || p.chunksDone === p.chunksTotal) {
            lastLine = performance.now();
            process.stderr.write(`${progressLine(p)}\n`);
          }
        },
      });
    },
    (r) => `${r.output}\n${r.frames} frames in ${(r.wallMs / 1000).toFixed(1)} s (${r.chunks} chunks: ${r.chunksRendered} rendered, ${r.chunksReused} re-used)`,
  );
}

program
  .command("worker")
  .description("render chunks of distributed renders from a Redis queue, until stopped (SIGINT/SIGTERM)")
  .requiredOption("--redis <url>", "Redis URL of the queue, e.g. redis://127.0.0.1:6379")
  .requiredOption("--storage <dir>", "the shared directory the render was started with (render --distributed --storage)")
  .option("--concurrency <n>", "chunks rendered at once (default 1)", parseChunkSize, 1)
  .option("--capture-workers <n>", "browsers per chunk, or auto (default 1: run more workers instead)", parseWorkers, 1)
  .option("--queue <name>", "queue name (default frameloom-render)")
  .option("--quiet", "print nothing but errors", false)
  .action(async (opts) => {
    try {
      const worker = await startRenderWorker({
        redisUrl: opts.redis,
        queue: opts.queue,
        storage: opts.storage,
        concurrency: opts.concurrency,
        captureWorkers: opts.captureWorkers,
        onEvent: (event) => {
          if (!opts.quiet) process.stderr.write(`worker: ${describeEvent(event)}\n`);
        },
        onWarning: (message) => {
          if (!opts.quiet) process.stderr.write(`warning: ${message}\n`);
        },
      });
      if (!opts.quiet) process.stderr.write(`worker: waiting for chunks on ${opts.redis}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.off(s, stop);
          void worker.close().finally(resolve);
        };
        for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, stop);
      });
    } catch (error) {
      reportError(error, { json: false });
    }
  });

function describeEvent(e: WorkerEvent): string {
  const range = "chunk" in e ? ` ${e.chunk.from}-${e.chunk.to - 1}` : "";
  const detail = "error" in e ? `: ${e.error}` : "ms" in e ? ` in ${(e.ms / 1000).toFixed(1)} s` : "";
  return `${e.type}${range}${detail}`;
}

program
  .command("presets")
  .description("list output presets")
  .option("--json", "print JSON", false)
  .action((opts) => {
    if (opts.json) {
      process.stdout.write(JSON.stringify(Object.values(PRESETS), null, 2) + "\n");
      return;
    }
    for (const preset of Object.values(PRESETS)) {
      process.stdout.write(`${preset.name.padEnd(16)} ${preset.description}\n`);
    }
  });

program
  .command("doctor")
  .description("check Chromium, the browser and capture method a render uses, ffmpeg encoders, fonts and the HDR addon; --fix installs missing Debian packages (root)")
  .option("--fix", "install missing system packages with apt-get", false)
  .option("--json", "print JSON", false)
  .option("--browser <which>", "browser to check: auto, shell (@sparticuz/chromium), system, or an executable's path", "auto")
  .action(async (opts) => {
    const checkOptions = { browser: opts.browser as string };
    let checks = await runChecks(checkOptions);
    if (opts.fix && checks.some((c) => !c.ok && c.packages?.length)) {
      fix(checks, (line) => process.stderr.write(`doctor: ${line}\n`));
      checks = await runChecks(checkOptions);
    }
    if (opts.json) process.stdout.write(JSON.stringify(checks, null, 2) + "\n");
    else for (const c of checks) process.stdout.write(`${c.ok ? "ok  " : "FAIL"} ${c.name.padEnd(14)} ${c.detail}\n`);
    // The HDR addon is optional for SDR renders: only the render essentials decide the exit code.
    const essential = checks.filter((c) => c.name !== "hdr-addon");
    if (essential.some((c) => !c.ok)) process.exitCode = 1;
  });

registerCompareCommand(program);
registerBenchmarkCommand(program);
registerFontsCommand(program);

program.parseAsync(process.argv).catch((error) => {
  process.stderr.write(`frameloom: ${errorMessage(error)}\n`);
  process.exitCode = 1;
});
