// Installs (once) and describes what bench/peer-hyperframes.mjs runs HyperFrames with, all under
// one cache dir (default node_modules/.cache/frameloom-peer/, or $FRAMELOOM_PEER_DIR):
//   install/   npm prefix: hyperframes, @sparticuz/chromium, node-<platform>-<arch>@22 (HyperFrames
//              needs Node >= 22; the npm package brings one without a system install)
//   shell/     @sparticuz/chromium's headless shell, unpacked by its executablePath() with TMPDIR here
//   bin/       --no-sandbox wrappers for both browsers (needed as root), the compiled reaper
//   home/      HOME for HyperFrames (its ~/.hyperframes state stays out of the real home)
// A second run reuses all of it; nothing here touches the network unless something is missing.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { findChromium, which } from "@frameloom/shared-helpers";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
export const DEFAULT_PEER_DIR = path.join(repo, "node_modules/.cache/frameloom-peer");

const readJson = (file) => {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
};
const versionOf = (prefix, name) => readJson(path.join(prefix, "node_modules", name, "package.json"))?.version ?? null;
const isExactVersion = (spec) => /^\d+\.\d+\.\d+/.test(spec);
const satisfies = (installed, spec) => installed !== null && (spec === "latest" || !isExactVersion(spec) || installed === spec);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}:\n${(r.stderr || r.stdout || "").trim().slice(-2000)}`);
  return r.stdout.trim();
}

function writeExecutable(file, text) {
  if (!existsSync(file) || readFileSync(file, "utf8") !== text) writeFileSync(file, text);
  chmodSync(file, 0o755);
}

const shQuote = (s) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * The CPU-time meter: bench/peer/reaper.c compiled into bin/ (a child subreaper: counts every
 * process of the tree, orphans included). Without a C compiler, /usr/bin/time (installed with
 * apt-get when missing and root), which misses orphaned descendants.
 */
function prepareMeter(binDir, log) {
  const source = path.join(here, "reaper.c");
  const hash = createHash("sha1").update(readFileSync(source)).digest("hex").slice(0, 12);
  const reaper = path.join(binDir, `reaper-${hash}`);
  if (existsSync(reaper)) return { kind: "reaper", path: reaper };
  const compilers = [["cc"], ["gcc"], ["clang"], ["g++", "-x", "c"]];
  for (const [cc, ...pre] of compilers) {
    const found = which(cc);
    if (!found) continue;
    const r = spawnSync(found, [...pre, "-O2", "-o", reaper, source], { encoding: "utf8" });
    if (r.status === 0) {
      log(`compiled the CPU-time reaper with ${cc}: ${reaper}`);
      return { kind: "reaper", path: reaper };
    }
    log(`${cc} could not compile ${source}: ${(r.stderr || "").trim().slice(0, 500)}`);
  }
  let time = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
  if (!time && process.getuid?.() === 0 && which("apt-get")) {
    log("no C compiler and no /usr/bin/time: installing the Debian package `time` with apt-get");
    spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "time"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    if (existsSync("/usr/bin/time")) time = "/usr/bin/time";
  }
  if (!time) throw new Error("no C compiler (cc/gcc/clang) to build bench/peer/reaper.c and no /usr/bin/time: install gcc or time");
  log("WARNING: no C compiler, measuring CPU with /usr/bin/time: processes orphaned by a killed browser are not counted, CPU times come out low");
  return { kind: "time", path: time };
}

/**
 * Makes sure everything is installed; returns
 * { dir, node, nodeVersion, hyperframesBin, hyperframesVersion, sparticuzVersion, shell, shellBinary, shellVersion,
 *   chromium, chromiumVersion, chromiumPath, home, meter, installed }.
 */
export function preparePeer({ dir = process.env.FRAMELOOM_PEER_DIR || DEFAULT_PEER_DIR, log = console.log } = {}) {
  const hyperframesSpec = process.env.FRAMELOOM_PEER_HYPERFRAMES || "latest";
  const sparticuzSpec = process.env.FRAMELOOM_PEER_SPARTICUZ || "latest";
  const prefix = path.join(dir, "install");
  const shellDir = path.join(dir, "shell");
  const binDir = path.join(dir, "bin");
  const home = path.join(dir, "home");
  for (const d of [prefix, binDir, home]) mkdirSync(d, { recursive: true });

  const ownNodeMajor = Number(process.versions.node.split(".")[0]);
  const nodePkg = `node-${process.platform}-${process.arch}`;
  const wanted = [];
  if (!satisfies(versionOf(prefix, "hyperframes"), hyperframesSpec)) wanted.push(`hyperframes@${hyperframesSpec}`);
  if (!satisfies(versionOf(prefix, "@sparticuz/chromium"), sparticuzSpec)) wanted.push(`@sparticuz/chromium@${sparticuzSpec}`);
  if (ownNodeMajor < 22 && versionOf(prefix, nodePkg) === null) wanted.push(`${nodePkg}@22`);
  let installed = false;
  if (wanted.length > 0) {
    if (!existsSync(path.join(prefix, "package.json"))) {
      writeFileSync(path.join(prefix, "package.json"), `${JSON.stringify({ name: "frameloom-peer", private: true }, null, 2)}\n`);
    }
    log(`npm install ${wanted.join(" ")} (into ${prefix}, PUPPETEER_SKIP_DOWNLOAD=1)`);
    const started = performance.now();
    run("npm", ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--save-exact", "--loglevel=error", ...wanted], {
      env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: "1", PUPPETEER_SKIP_CHROME_DOWNLOAD: "1", PUPPETEER_SKIP_CHROME_HEADLESS_SHELL_DOWNLOAD: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    log(`  installed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    installed = true;
  }

  const node = ownNodeMajor >= 22 ? process.execPath : path.join(prefix, "node_modules", nodePkg, "bin/node");
  const nodeVersion = run(node, ["--version"]);
  const hyperframesVersion = versionOf(prefix, "hyperframes");
  const hyperframesBin = path.join(prefix, "node_modules/hyperframes", readJson(path.join(prefix, "node_modules/hyperframes/package.json")).bin.hyperframes);

  // The headless shell: unpacked once, again when the package version changes.
  const sparticuzVersion = versionOf(prefix, "@sparticuz/chromium");
  const marker = path.join(shellDir, ".frameloom-peer-version");
  if (!existsSync(path.join(shellDir, "chromium")) || (existsSync(marker) ? readFileSync(marker, "utf8") : "") !== sparticuzVersion) {
    rmSync(shellDir, { recursive: true, force: true });
    mkdirSync(shellDir, { recursive: true });
    const entry = pathToFileURL(path.join(prefix, "node_modules/@sparticuz/chromium/build/index.js")).href;
    log(`unpacking the @sparticuz/chromium ${sparticuzVersion} headless shell into ${shellDir}`);
    const unpacked = run(node, ["--input-type=module", "-e", `const m = await import(${JSON.stringify(entry)}); console.log(await m.default.executablePath());`], {
      env: { ...process.env, TMPDIR: shellDir },
    });
    if (path.resolve(unpacked) !== path.join(shellDir, "chromium")) throw new Error(`@sparticuz/chromium unpacked to ${unpacked}, not into ${shellDir}`);
    writeFileSync(marker, sparticuzVersion);
  }

  // --no-sandbox wrappers: Chromium refuses to run as root with its sandbox on.
  const noSandbox = process.getuid?.() === 0 ? " --no-sandbox" : "";
  const chromiumPath = findChromium();
  const chromium = path.join(binDir, "chromium-system");
  const shell = path.join(binDir, "headless-shell");
  writeExecutable(chromium, `#!/bin/sh\nexec ${shQuote(chromiumPath)}${noSandbox} "$@"\n`);
  writeExecutable(shell, `#!/bin/sh\nexec ${shQuote(path.join(shellDir, "chromium"))}${noSandbox} "$@"\n`);
  const version = (bin) => run(bin, ["--version"]).replace(/\s+/g, " ");

  return {
    dir,
    node,
    nodeVersion,
    hyperframesBin,
    hyperframesVersion,
    sparticuzVersion,
    shell,
    shellBinary: path.join(shellDir, "chromium"),
    shellVersion: version(shell),
    chromium,
    chromiumPath,
    chromiumVersion: version(chromium),
    home,
    meter: prepareMeter(binDir, log),
    installed,
  };
}
