/**
 * Which Chromium a render drives (`--browser auto|shell|system|<path>`), and the headless shell's
 * one-time unpack.
 *
 * Invariants:
 * - "auto" is, in order: `$FRAMELOOM_CHROMIUM` / `$PUPPETEER_EXECUTABLE_PATH` (kind "path"), the
 *   `@sparticuz/chromium` headless shell when that package resolves (kind "shell"; it has
 *   `HeadlessExperimental.beginFrame`, Debian's Chromium does not), else the system Chromium.
 *   "shell" without the package, and a path that is not an executable file, are coded errors.
 * - The shell is unpacked once per package version into
 *   `<cache root>/headless-shell-<version>/` (cache root: `$FRAMELOOM_CACHE_DIR`, else
 *   `$XDG_CACHE_HOME/frameloom`, else `~/.cache/frameloom`), never into os.tmpdir(). It is written
 *   into a sibling temp dir and renamed into place, with its completion marker already inside: a
 *   dir under the final name is complete, and two processes racing both end up using the one that
 *   won the rename.
 * - The unpacked tree holds what the shell needs on a glibc Linux host: `chromium` (0755), the
 *   SwiftShader/ANGLE libraries beside it (without them its GPU process fails to start, logs
 *   errors and restarts before falling back to software) and an empty `locales/` (the shell
 *   creates it beside itself at start otherwise). `fonts.tar.br` (a fontconfig file for AWS
 *   Lambda paths) and `al2023.tar.br` (Amazon Linux libraries) are left packed: fonts come from
 *   the host's fontconfig and the composition's own files.
 * - A resolution is cached in-process, one Promise per choice and options; a failed one is
 *   forgotten so that the next call tries again.
 */
import { execFile, spawn } from "node:child_process";
import { createReadStream, createWriteStream, constants, existsSync, readFileSync } from "node:fs";
import { access, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createBrotliDecompress } from "node:zlib";
import { FrameloomError, errorMessage, findChromium, type BrowserChoice } from "@frameloom/shared-helpers";
import { CaptureErrors } from "./errors.js";

export type BrowserKind = "shell" | "system" | "path";

export interface ResolvedBrowser {
  kind: BrowserKind;
  executablePath: string;
  /** The product string `--version` prints, e.g. "Chromium 153.0.8010.0". */
  version: string;
  /** Why "auto" did not get the headless shell although the package is installed (it could not be unpacked). */
  note?: string;
}

export interface ResolveBrowserOptions {
  /**
   * The `@sparticuz/chromium` package dir, or "absent" to act as if it were not installed
   * (tests). Default: resolved from this module.
   */
  shellPackage?: string | "absent";
  /** Cache root for the unpacked shell (default: `shellCacheRoot()`). */
  cacheDir?: string;
  /** Environment to read the cache root and the executable overrides from (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

const SHELL_PACKAGE = "@sparticuz/chromium";
const VERSION_TIMEOUT_MS = 10_000;
/** Written last into the temp dir, before the rename: its presence means the unpack completed. */
const MARKER = ".frameloom-unpacked";
/** Files the unpacked shell must have; the marker is trusted only when they are there too. */
const SHELL_FILES = ["chromium", "libEGL.so", "libGLESv2.so", "libvk_swiftshader.so", "libvulkan.so.1", "vk_swiftshader_icd.json"];
/** A temp unpack dir older than this was left by a process that died mid-unpack. */
const STALE_TEMP_MS = 60 * 60 * 1000;

const resolutions = new Map<string, Promise<ResolvedBrowser>>();
const unpacks = new Map<string, Promise<string>>();

/** Resolves `choice` to an executable and its version (cached in-process per choice and options). */
export function resolveBrowser(choice: BrowserChoice = "auto", options: ResolveBrowserOptions = {}): Promise<ResolvedBrowser> {
  const env = options.env ?? process.env;
  const key = JSON.stringify([
    choice,
    options.shellPackage ?? null,
    options.cacheDir ?? null,
    env.FRAMELOOM_CHROMIUM ?? null,
    env.PUPPETEER_EXECUTABLE_PATH ?? null,
    shellCacheRoot(env),
    // A relative path resolves against the working directory.
    process.cwd(),
  ]);
  let resolution = resolutions.get(key);
  if (!resolution) {
    resolution = resolveUncached(choice, options, env);
    resolutions.set(key, resolution);
    resolution.catch(() => resolutions.delete(key));
  }
  return resolution;
}

async function resolveUncached(choice: BrowserChoice, options: ResolveBrowserOptions, env: NodeJS.ProcessEnv): Promise<ResolvedBrowser> {
  if (choice === "auto") {
    for (const name of ["FRAMELOOM_CHROMIUM", "PUPPETEER_EXECUTABLE_PATH"]) {
      const value = env[name];
      if (value) return explicitPath(value, `${name}="${value}"`);
    }
    const pkg = findShellPackage(options.shellPackage);
    if (!pkg) return system();
    try {
      return await shell(pkg, options, env);
    } catch (error) {
      // A cache dir that cannot be written (read-only home) must not stop a render the system Chromium can do.
      const fallback = await system().catch(() => {
        throw error;
      });
      return { ...fallback, note: `the headless shell is unavailable (${errorMessage(error)}); capturing with the system Chromium` };
    }
  }
  if (choice === "shell") {
    const pkg = findShellPackage(options.shellPackage);
    if (!pkg) {
      throw new FrameloomError(
        CaptureErrors.BROWSER_MISSING,
        `--browser shell: the ${SHELL_PACKAGE} package is not installed; install it with ` +
          `\`npm install ${SHELL_PACKAGE}@153.0.0\` (next to frameloom), or use --browser system`,
      );
    }
    return shell(pkg, options, env);
  }
  if (choice === "system") return system();
  return explicitPath(choice, `--browser "${choice}"`);
}

/** The `@sparticuz/chromium` package dir, or null when it is not installed. */
export function findShellPackage(override?: string | "absent"): string | null {
  if (override === "absent") return null;
  if (override !== undefined) return path.resolve(override);
  const require = createRequire(import.meta.url);
  try {
    return path.dirname(require.resolve(`${SHELL_PACKAGE}/package.json`));
  } catch {
    // Its "exports" do not list ./package.json: resolve the entry point and walk up to the package.
  }
  try {
    for (let dir = path.dirname(require.resolve(SHELL_PACKAGE)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const manifest = path.join(dir, "package.json");
      if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === SHELL_PACKAGE) return dir;
    }
  } catch {
    // Not installed (or unreadable): as if absent.
  }
  return null;
}

/** Where unpacked browsers live: `$FRAMELOOM_CACHE_DIR`, `$XDG_CACHE_HOME/frameloom` or `~/.cache/frameloom`. */
export function shellCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FRAMELOOM_CACHE_DIR) return path.resolve(env.FRAMELOOM_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return path.join(path.resolve(env.XDG_CACHE_HOME), "frameloom");
  return path.join(homedir(), ".cache", "frameloom");
}

async function shell(pkg: string, options: ResolveBrowserOptions, env: NodeJS.ProcessEnv): Promise<ResolvedBrowser> {
  const dir = await unpackHeadlessShell(pkg, options.cacheDir ?? shellCacheRoot(env));
  const executablePath = path.join(dir, "chromium");
  return { kind: "shell", executablePath, version: await browserVersion(executablePath) };
}

async function system(): Promise<ResolvedBrowser> {
  const executablePath = findChromium();
  return { kind: "system", executablePath, version: await browserVersion(executablePath) };
}

async function explicitPath(file: string, what: string): Promise<ResolvedBrowser> {
  const executablePath = path.resolve(file);
  const info = await stat(executablePath).catch(() => null);
  const executable = info?.isFile() && (await access(executablePath, constants.X_OK).then(() => true, () => false));
  if (!executable) {
    throw new FrameloomError(
      CaptureErrors.BROWSER_NOT_EXECUTABLE,
      `${what}: ${executablePath} ${info ? (info.isFile() ? "is not executable" : "is not a file") : "does not exist"}; ` +
        `give the path of a Chromium executable, or --browser auto|shell|system`,
      { details: { path: executablePath } },
    );
  }
  return { kind: "path", executablePath, version: await browserVersion(executablePath) };
}

/** `<exe> --version`, first line, without Debian's " built on …" suffix. */
export function browserVersion(executablePath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(executablePath, ["--version"], { timeout: VERSION_TIMEOUT_MS, encoding: "utf8" }, (error, stdout) => {
      const line = stdout.trim().split("\n")[0]?.trim() ?? "";
      if (error || !line) {
        reject(
          new FrameloomError(
            CaptureErrors.BROWSER_LAUNCH,
            `${executablePath} --version failed${error ? `: ${errorMessage(error)}` : " (no output)"}; is it a Chromium executable?`,
            { cause: error ?? undefined, details: { path: executablePath } },
          ),
        );
        return;
      }
      resolve(line.replace(/\s+built on .*$/, ""));
    });
  });
}

/**
 * Unpacks the headless shell of the package at `pkg` into `<cacheRoot>/headless-shell-<version>`
 * unless it is there already; returns that dir. Safe against other processes doing the same.
 */
export function unpackHeadlessShell(pkg: string, cacheRoot: string): Promise<string> {
  const key = `${path.resolve(pkg)}\0${path.resolve(cacheRoot)}`;
  let unpack = unpacks.get(key);
  if (!unpack) {
    unpack = unpackUncached(path.resolve(pkg), path.resolve(cacheRoot));
    unpacks.set(key, unpack);
    unpack.catch(() => unpacks.delete(key));
  }
  return unpack;
}

async function unpackUncached(pkg: string, cacheRoot: string): Promise<string> {
  let version: string;
  try {
    version = (JSON.parse(await readFile(path.join(pkg, "package.json"), "utf8")) as { version: string }).version;
  } catch (error) {
    throw new FrameloomError(CaptureErrors.BROWSER_MISSING, `${SHELL_PACKAGE} at ${pkg} has no readable package.json: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const name = `headless-shell-${version}`;
  const final = path.join(cacheRoot, name);
  if (await isComplete(final)) return final;
  let temp: string | null = null;
  try {
    await mkdir(cacheRoot, { recursive: true });
    await removeStaleTemps(cacheRoot, name);
    temp = await mkdtemp(path.join(cacheRoot, `.${name}.tmp-`));
    const bin = path.join(pkg, "bin");
    await pipeline(createReadStream(path.join(bin, "chromium.br")), createBrotliDecompress(), createWriteStream(path.join(temp, "chromium"), { mode: 0o755 }));
    await untarBrotli(path.join(bin, "swiftshader.tar.br"), temp);
    await mkdir(path.join(temp, "locales"));
    for (const file of SHELL_FILES) {
      await access(path.join(temp, file)).catch(() => {
        throw new Error(`${file} is missing from ${SHELL_PACKAGE}'s archives`);
      });
    }
    await writeFile(path.join(temp, MARKER), JSON.stringify({ package: SHELL_PACKAGE, version, unpackedAt: new Date().toISOString() }) + "\n");
    await moveIntoPlace(temp, final);
    temp = null;
    return final;
  } catch (error) {
    if (error instanceof FrameloomError) throw error;
    throw new FrameloomError(CaptureErrors.BROWSER_UNPACK, `could not unpack the headless shell into ${final}: ${errorMessage(error)}`, {
      cause: error,
      details: { dir: final },
    });
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true }).catch(() => {});
  }
}

/** Renames `temp` to `final`; when another process got there first with a complete dir, uses that one. */
async function moveIntoPlace(temp: string, final: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await rename(temp, final);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
      if (await isComplete(final)) {
        await rm(temp, { recursive: true, force: true });
        return;
      }
      // A dir without the marker is not one of ours (or was damaged): move it aside, then retry.
      const aside = `${temp}.old`;
      await rename(final, aside).catch(() => {});
      await rm(aside, { recursive: true, force: true }).catch(() => {});
    }
  }
  throw new Error(`${final} exists and could not be replaced`);
}

async function isComplete(dir: string): Promise<boolean> {
  try {
    await access(path.join(dir, MARKER));
    for (const file of SHELL_FILES) await access(path.join(dir, file));
    await access(path.join(dir, "chromium"), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Removes temp unpack dirs of `name` left by processes that died mid-unpack (old enough not to be in use). */
async function removeStaleTemps(cacheRoot: string, name: string): Promise<void> {
  const entries = await readdir(cacheRoot).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.startsWith(`.${name}.tmp-`)) continue;
    const dir = path.join(cacheRoot, entry);
    const info = await stat(dir).catch(() => null);
    if (info && Date.now() - info.mtimeMs > STALE_TEMP_MS) await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

/** Brotli-decompresses a tar archive into `dir` through the system `tar` (owners not kept). */
async function untarBrotli(archive: string, dir: string): Promise<void> {
  const tar = spawn("tar", ["-x", "--no-same-owner", "-C", dir, "-f", "-"], { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  tar.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
  const exited = new Promise<void>((resolve, reject) => {
    tar.once("error", reject);
    tar.once("close", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`tar exited with ${code ?? signal}${stderr.trim() ? `: ${stderr.trim()}` : ""}`)),
    );
  });
  // If tar fails the pipe breaks: its exit status is the more useful error. And tar may exit
  // (status 0) at the archive's end marker before reading the zero padding after it: the broken
  // pipe that leaves is no error. A damaged brotli stream still is.
  const fed = pipeline(createReadStream(archive), createBrotliDecompress(), tar.stdin).then(
    () => null,
    (error: unknown) => error,
  );
  await exited;
  const feedError = await fed;
  const code = (feedError as NodeJS.ErrnoException | null)?.code;
  if (feedError && code !== "EPIPE" && code !== "ERR_STREAM_PREMATURE_CLOSE") throw feedError;
}
