/**
 * Suite-wide leftover check: the e2e suite leaves no Frameloom dirs behind.
 *
 * - The run gets its own TMPDIR (`<tmp>/frameloom-suite-XXXXXX`, inherited by every test worker
 *   and what it starts: renders' temp dirs, Chromium's profiles and singleton dirs, fixtures made
 *   with `os.tmpdir()`). After the last test file, anything still in it (after a 5 s grace for
 *   processes that are finishing) fails the run, named; then it is removed.
 * - Paths tests build on `/tmp` itself (the sandboxes): the `frameloom-*`, `flm-*` and
 *   `org.chromium.Chromium.*` directories there are listed before the run; a new one still there
 *   after the grace fails the run too. That half assumes no other Frameloom run shares /tmp at the
 *   same time: with `FRAMELOOM_TMP_CHECK=run-only` only the run's own TMPDIR is checked.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const PATTERN = /^(frameloom-|flm-|org\.chromium\.Chromium\.)/;
const GRACE_MS = 5000;

function frameloomDirs(root: string, all = false): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((e) => all || (e.isDirectory() && PATTERN.test(e.name)))
      .map((e) => path.join(root, e.name));
  } catch {
    return [];
  }
}

export default function setup(): () => Promise<void> {
  const outer = tmpdir();
  const before = new Set(frameloomDirs(outer));
  const runDir = mkdtempSync(path.join(outer, "frameloom-suite-"));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = runDir;
  const checkOuter = process.env.FRAMELOOM_TMP_CHECK !== "run-only";
  return async function teardown() {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    const left = () => [
      ...frameloomDirs(runDir, true),
      ...(checkOuter ? frameloomDirs(outer).filter((dir) => dir !== runDir && !before.has(dir)) : []),
    ];
    const deadline = Date.now() + GRACE_MS;
    let found = left();
    while (found.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      found = left();
    }
    rmSync(runDir, { recursive: true, force: true });
    if (found.length > 0) {
      // Vitest reports a teardown error but keeps its exit code: set it.
      process.exitCode = 1;
      throw new Error(
        `the e2e suite left ${found.length} temp dir(s) behind: ${found.join(", ")} ` +
          "(every test removes what it creates; renders remove their temp dirs and Chromium's)",
      );
    }
  };
}
