// Builds a git revision of this repository for a same-run A/B benchmark, cached under
// node_modules/.cache/frameloom-bench/<sha> so a second run starts at once.
//
// The revision's tree is exported with `git archive` into that directory (a plain checkout: no
// worktree is registered in .git, so the repository's state is untouched and deleting the cache
// needs no `git worktree prune`), then `npm ci` (PUPPETEER_SKIP_DOWNLOAD=1, npm_config_nodedir=/usr
// where Node's headers are there) and `turbo run build --filter=@frameloom/cli...`.
// A marker file written last makes a half-built directory (interrupted build) count as missing.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

const MARKER = ".frameloom-bench-ready.json";

export function resolveRef(root, ref) {
  return execFileSync("git", ["rev-parse", "--verify", `${ref}^{commit}`], { cwd: root, encoding: "utf8" }).trim();
}

/** The built revision: { sha, dir, cli (its packages/cli/dist/index.js), cached, buildMs }. */
export function prepareRef(root, ref, log = (line) => process.stderr.write(`${line}\n`)) {
  const sha = resolveRef(root, ref);
  const dir = path.join(root, "node_modules/.cache/frameloom-bench", sha);
  const cli = path.join(dir, "packages/cli/dist/index.js");
  const marker = path.join(dir, MARKER);
  if (existsSync(marker) && existsSync(cli)) {
    const info = JSON.parse(readFileSync(marker, "utf8"));
    log(`baseline ${ref} (${sha.slice(0, 10)}): cached build in ${path.relative(root, dir)}`);
    return { sha, dir, cli, cached: true, buildMs: info.buildMs };
  }
  const started = performance.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const step = (label, cmd, args, options = {}) => {
    log(`baseline ${ref} (${sha.slice(0, 10)}): ${label}`);
    const r = spawnSync(cmd, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", maxBuffer: 256 * 1024 * 1024, ...options });
    if (r.status !== 0) {
      process.stderr.write(`${r.stdout ?? ""}${r.stderr ?? ""}`.slice(-6000));
      throw new Error(`baseline build of ${ref}: "${label}" failed (exit ${r.status ?? r.signal}); the half-built ${dir} is kept for a look and rebuilt next time`);
    }
  };
  step("git archive", "sh", ["-c", `git -C "$0" archive --format=tar "$1" | tar -x -C "$2"`, root, sha, dir]);
  const env = {
    ...process.env,
    PUPPETEER_SKIP_DOWNLOAD: "1",
    TURBO_TELEMETRY_DISABLED: "1",
    ...(existsSync("/usr/include/node/node.h") ? { npm_config_nodedir: "/usr" } : {}),
  };
  step("npm ci", "npm", ["ci", "--no-audit", "--no-fund", "--prefer-offline"], { env });
  step("turbo build", "npx", ["turbo", "run", "build", "--filter=@frameloom/cli..."], { env });
  if (!existsSync(cli)) throw new Error(`baseline build of ${ref}: ${cli} is missing after the build`);
  const buildMs = Math.round(performance.now() - started);
  writeFileSync(marker, JSON.stringify({ ref, sha, builtAt: new Date().toISOString(), buildMs }) + "\n");
  return { sha, dir, cli, cached: false, buildMs };
}
