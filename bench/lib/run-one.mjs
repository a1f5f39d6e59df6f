#!/usr/bin/env node
// One measured render for bench/run.mjs and bench/capture.mjs, in a process of its own: this tree's
// benchmark() (one run, one route and worker setting; it samples the process tree, times the first
// frame) around the render() of the build given by `cli` (this tree's, or a baseline revision's
// packages/cli/dist).
// Usage: node bench/lib/run-one.mjs '<json: { cli, project, route, workers, preset?, frames?, renderOptions? }>'
//   renderOptions: more render() options for the run (e.g. { browser, captureMethod, frameReuse });
//   an older build whose schema lacks one of them fails the render.
// Prints one JSON line: { run, skipped, width, height, frames, preset, hdr, capture } or { error }.
//   capture: the render summary's `capture` report (browser, method, framesCaptured, framesReused),
//   null when the build does not give one.
import { pathToFileURL } from "node:url";
import { benchmark } from "@frameloom/cli";

const job = JSON.parse(process.argv[2] ?? "{}");
const controller = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => controller.abort(new Error(`interrupted (${signal})`)));
try {
  const { render } = await import(pathToFileURL(job.cli).href);
  if (typeof render !== "function") throw new Error(`${job.cli} exports no render()`);
  let last = null;
  const result = await benchmark({
    project: job.project,
    runs: 1,
    workers: [job.workers],
    routes: [job.route],
    preset: job.preset,
    frames: job.frames,
    ...(job.renderOptions ? { renderOptions: job.renderOptions } : {}),
    render: async (options) => (last = await render(options)),
    signal: controller.signal,
  });
  const { width, height, frames, preset, hdr, skipped } = result;
  process.stdout.write(JSON.stringify({ run: result.rows[0]?.runs[0] ?? null, skipped, width, height, frames, preset, hdr, capture: last?.capture ?? null }) + "\n");
} catch (error) {
  process.stdout.write(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }) + "\n");
  process.exitCode = 1;
}
