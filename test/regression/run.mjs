#!/usr/bin/env node
/**
 * npm run regression [-- OPTIONS]: renders every fixture of test/fixtures, checks its expectations and
 * compares it with its golden; one table row per fixture; exit 1 when any fails.
 *
 *   --update        re-render and rewrite the goldens (refused for a fixture whose expectations fail);
 *                   prints old-vs-new PSNR so a reviewer sees what changed
 *   --only NAME     only these fixtures (repeatable, or a comma list)
 *   --quick         only fixtures tagged "quick"
 *   --json          one JSON object on stdout instead of the table (PSNR inf as "inf")
 */
import { loadFixtures } from "./fixtures.mjs";
import { runFixtures, tableHeader, tableRow } from "./runner.mjs";

const USAGE = "usage: npm run regression -- [--update] [--only NAME[,NAME…]]… [--quick] [--json]";

/** @param {string[]} argv */
function parseArgs(argv) {
  const opts = { update: false, quick: false, json: false, only: /** @type {string[]} */ ([]) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--update") opts.update = true;
    else if (a === "--quick") opts.quick = true;
    else if (a === "--json") opts.json = true;
    else if (a === "--only" || a.startsWith("--only=")) {
      const value = a === "--only" ? argv[++i] : a.slice("--only=".length);
      if (!value) throw new Error(`--only needs a fixture name\n${USAGE}`);
      opts.only.push(...value.split(",").map((s) => s.trim()).filter(Boolean));
    } else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const fixtures = await loadFixtures({ only: opts.only, quick: opts.quick });
  if (fixtures.length === 0) throw new Error("no fixture selected");
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    console.error("\nregression: interrupted, cleaning up (Ctrl-C again to quit now)");
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const log = opts.json ? () => {} : (/** @type {string} */ line) => console.log(line);
  log(`regression: ${fixtures.length} fixture(s)${opts.update ? ", updating goldens" : ""}\n`);
  log(tableHeader());
  const started = performance.now();
  const results = await runFixtures(fixtures, { update: opts.update, signal: controller.signal, onResult: (r) => log(tableRow(r)) });
  const wallMs = Math.round(performance.now() - started);
  const failed = results.filter((r) => !r.pass);
  if (opts.json) {
    // JSON has no Infinity: identical frames (PSNR inf) and silence (−inf dB) are written as strings.
    const finite = (/** @type {string} */ _key, /** @type {unknown} */ v) => (v === Infinity ? "inf" : v === -Infinity ? "-inf" : v);
    console.log(JSON.stringify({ pass: failed.length === 0 && results.length === fixtures.length, wallMs, update: opts.update, results }, finite));
  } else {
    const verb = opts.update ? "updated" : "passed";
    log(`\n${results.length - failed.length}/${fixtures.length} ${verb} in ${(wallMs / 1000).toFixed(1)} s${failed.length ? `; failed: ${failed.map((r) => r.name).join(", ")}` : ""}`);
  }
  if (failed.length > 0 || results.length < fixtures.length) process.exitCode = 1;
}

main().catch((error) => {
  console.error(`regression: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
