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
 *
 * Capture pass-through, into every fixture's render (over its renderConfig), so the whole suite can
 * run on one browser or capture method (the same flags as `frameloom render`):
 *   --browser auto|shell|system|PATH      which Chromium captures (auto: the headless shell when
 *                                         installed, else the system Chromium)
 *   --capture-method auto|beginframe|screenshot
 *   --no-frame-reuse                      capture every frame, even where nothing changed
 * e.g. the old capture path: --browser system --capture-method screenshot --no-frame-reuse.
 * Goldens written with --update and these flags come from that capture path.
 */
import { loadFixtures } from "./fixtures.mjs";
import { runFixtures, tableHeader, tableRow } from "./runner.mjs";

const USAGE =
  "usage: npm run regression -- [--update] [--only NAME[,NAME…]]… [--quick] [--json]\n" +
  "                              [--browser auto|shell|system|PATH] [--capture-method auto|beginframe|screenshot] [--no-frame-reuse]";
const METHODS = ["auto", "beginframe", "screenshot"];

/** @param {string[]} argv */
function parseArgs(argv) {
  const opts = {
    update: false,
    quick: false,
    json: false,
    only: /** @type {string[]} */ ([]),
    capture: /** @type {import("./runner.mjs").CaptureOverrides} */ ({}),
  };
  let i = 0;
  /** The value of `--name V` or `--name=V` (a = argv[i]; the first form advances i). @param {string} name @param {string} a */
  const valueOf = (name, a) => {
    const value = a === name ? argv[++i] : a.slice(name.length + 1);
    if (!value || value.startsWith("--")) throw new Error(`${name} needs a value\n${USAGE}`);
    return value;
  };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--update") opts.update = true;
    else if (a === "--browser" || a.startsWith("--browser=")) opts.capture.browser = valueOf("--browser", a);
    else if (a === "--capture-method" || a.startsWith("--capture-method=")) {
      const m = valueOf("--capture-method", a);
      if (!METHODS.includes(m)) throw new Error(`--capture-method: "${m}" is not one of ${METHODS.join(", ")}\n${USAGE}`);
      opts.capture.captureMethod = /** @type {"auto" | "beginframe" | "screenshot"} */ (m);
    } else if (a === "--no-frame-reuse") opts.capture.frameReuse = false;
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
  const capture = Object.entries(opts.capture).map(([k, v]) => `${k} ${v}`).join(", ");
  log(`regression: ${fixtures.length} fixture(s)${opts.update ? ", updating goldens" : ""}${capture ? `; capture: ${capture}` : ""}\n`);
  log(tableHeader());
  const started = performance.now();
  const results = await runFixtures(fixtures, { update: opts.update, capture: opts.capture, signal: controller.signal, onResult: (r) => log(tableRow(r)) });
  const wallMs = Math.round(performance.now() - started);
  const failed = results.filter((r) => !r.pass);
  if (opts.json) {
    // JSON has no Infinity: identical frames (PSNR inf) and silence (−inf dB) are written as strings.
    const finite = (/** @type {string} */ _key, /** @type {unknown} */ v) => (v === Infinity ? "inf" : v === -Infinity ? "-inf" : v);
    console.log(JSON.stringify({ pass: failed.length === 0 && results.length === fixtures.length, wallMs, update: opts.update, capture: opts.capture, results }, finite));
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
