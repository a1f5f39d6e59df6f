/**
 * `frameloom benchmark [project]`: renders a project (default: the bundled example) with each
 * capture route and worker count, N runs each, and prints fps, ms/frame by stage, peak RSS of the
 * process tree, time to first frame and CPU per frame; `--json` for one JSON object.
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import { errorMessage } from "@frameloom/shared-helpers";
import { BENCHMARK_ROUTES, benchmark, parseRoutesList, parseWorkersList } from "./benchmark.js";
import { formatBenchmarkTable, workersLabel } from "./benchmarkReport.js";
import { reportError } from "./reportError.js";

/** Wraps a parser that throws FrameloomError into one commander reports as a usage error. */
function asArgument<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      throw new InvalidArgumentError(errorMessage(error).replace(/^--\w+: /, ""));
    }
  };
}

function parseRuns(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

export function registerBenchmarkCommand(program: Command): void {
  program
    .command("benchmark")
    .description("render a project with each route and worker count, N runs each: fps, ms/frame by stage, peak RSS, time to first frame")
    .argument("[project]", "project directory or .html file (default: the bundled example, examples/hello)")
    .addOption(new Option("--runs <n>", "runs per combination").argParser(parseRuns).default(3))
    .addOption(new Option("--workers <list>", "worker settings, comma-separated").argParser(asArgument(parseWorkersList)).default([1, 2, "auto"], "1,2,auto"))
    .addOption(
      new Option("--routes <list>", "capture routes, comma-separated (sequential runs once, with one worker)")
        .argParser(asArgument(parseRoutesList))
        .default([...BENCHMARK_ROUTES], BENCHMARK_ROUTES.join(",")),
    )
    .option("--preset <name>", "output preset for every run")
    .option("--frames <A-B>", "render only frames A to B (inclusive, 0-based)")
    .option("--json", "print one JSON object with the result", false)
    .action(async (project: string | undefined, opts) => {
      const controller = new AbortController();
      const onSignal = () => controller.abort(new Error("interrupted"));
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        const result = await benchmark({
          project,
          runs: opts.runs,
          workers: opts.workers,
          routes: opts.routes,
          preset: opts.preset,
          frames: opts.frames,
          signal: controller.signal,
          onRun: (run, { done, total }) => {
            const ttff = run.ttffMs === null ? "n/a" : `${(run.ttffMs / 1000).toFixed(1)} s`;
            const workers = workersLabel({ workers: run.workers, workersUsed: [run.workersUsed] });
            process.stderr.write(
              `run ${done}/${total}: ${run.route} workers ${workers}: ${run.fps} fps, first frame ${ttff}, ` +
                `peak RSS ${Math.round(run.peakRssBytes / 1024 / 1024)} MB${run.routeUsed !== run.route ? ` (ran as ${run.routeUsed})` : ""}\n`,
            );
          },
        });
        if (opts.json) process.stdout.write(JSON.stringify(result) + "\n");
        else process.stdout.write(formatBenchmarkTable(result) + "\n");
      } catch (error) {
        reportError(error, { json: opts.json });
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}
