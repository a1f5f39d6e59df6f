/**
 * Chromium launcher that owns its process.
 *
 * Invariants:
 * - Chromium runs in its own process group (shared-helpers' `spawnTracked`): the group is killed
 *   on abort, when the main process exits, at process exit and, by the watchdog, when this process
 *   dies (SIGKILL included).
 * - DevTools speaks over a pipe (`--remote-debugging-pipe`, fds 3 and 4), not a port: no page can
 *   reach the browser's debugger, and when this process dies the pipe closes and Chromium quits
 *   by itself too.
 * - Chromium's profile (`profileDir`) and its process-singleton dir (`org.chromium.Chromium.*`,
 *   made in TMPDIR) live inside the render's work dir, and `close()` removes both; the watchdog
 *   removes them if this process dies first. When the work dir's path is too long for the
 *   singleton's Unix socket (107 bytes), TMPDIR stays as it is and the singleton dir is still
 *   removed by `close()`.
 * - `close()` closes politely (5 s at most), waits for the main process (3 s at most), then kills
 *   the whole group: killing first would leave the singleton dir behind.
 */
import type { ChildProcess } from "node:child_process";
import { readlinkSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import puppeteer, { type Browser } from "puppeteer-core";
import {
  FrameloomError,
  TailBuffer,
  abortError,
  chromiumArgs,
  errorMessage,
  findChromium,
  killTree,
  removeOnParentDeath,
  spawnTracked,
} from "@frameloom/shared-helpers";
import { CaptureErrors } from "./errors.js";
import { PipeTransport } from "./pipeTransport.js";

const LAUNCH_TIMEOUT_MS = 30_000;
/** `<TMPDIR>/org.chromium.Chromium.XXXXXX/SingletonSocket` must fit a Unix socket path (107 bytes). */
const SINGLETON_SUFFIX_LENGTH = "/org.chromium.Chromium.XXXXXX/SingletonSocket".length;
const MAX_SOCKET_PATH = 107;

export interface LaunchOptions {
  /** The Chromium executable (browserProvider.ts resolves it); default: the system Chromium (`findChromium`). */
  executablePath?: string;
  /** Browser profile; its parent (the render's work dir) becomes Chromium's TMPDIR. */
  profileDir: string;
  signal: AbortSignal;
  /** More Chromium flags (the network guard's proxy). */
  args?: string[];
  /** V8 heap limit of each page, MB (`--max-old-space-size`). */
  maxHeapMb?: number;
}

export interface LaunchedChromium {
  browser: Browser;
  process: ChildProcess;
  /** The last 8000 characters Chromium wrote to stderr (crash reasons: V8 OOM and the like). */
  stderrTail(): string;
  /** Closes politely (5 s at most), then kills the whole group and removes the profile. */
  close(): Promise<void>;
}

/** Chromium's command line (puppeteer's defaults, ours, the pipe), without the executable. */
export function chromiumCommandLine(options: Pick<LaunchOptions, "profileDir" | "args" | "maxHeapMb">): string[] {
  const extra = [...(options.args ?? [])];
  if (options.maxHeapMb !== undefined) extra.push(`--js-flags=--max-old-space-size=${Math.round(options.maxHeapMb)}`);
  return puppeteer
    .defaultArgs({ headless: true, userDataDir: options.profileDir, args: chromiumArgs(extra) })
    .filter(
      (a) =>
        a !== "--headless" &&
        a !== "about:blank" &&
        // Popups stay blocked (and `--block-new-web-contents` refuses them outright).
        a !== "--disable-popup-blocking" &&
        !a.startsWith("--remote-debugging"),
    )
    .concat(["--remote-debugging-pipe", "about:blank"]);
}

/**
 * Where Chromium makes its singleton dir: the work dir when the socket path fits, else the first
 * of TMPDIR and /tmp where it fits (a deep TMPDIR would make Chromium fail at start). Outside the
 * work dir the singleton dir is found from the profile's link and removed at close.
 */
export function chromiumTmpDir(profileDir: string): string | undefined {
  const fits = (dir: string) => dir.length + SINGLETON_SUFFIX_LENGTH <= MAX_SOCKET_PATH;
  const workDir = path.dirname(path.resolve(profileDir));
  if (fits(workDir)) return workDir;
  const tmp = tmpdir();
  return fits(tmp) ? undefined : "/tmp";
}

export async function launchChromium(options: LaunchOptions): Promise<LaunchedChromium> {
  if (options.signal.aborted) throw abortError(options.signal);
  const tmp = chromiumTmpDir(options.profileDir);
  const forgetProfile = removeOnParentDeath(path.resolve(options.profileDir));
  const child = spawnTracked(options.executablePath ?? findChromium(), chromiumCommandLine(options), {
    signal: options.signal,
    stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"],
    env: tmp ? { ...process.env, TMPDIR: tmp } : process.env,
  });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  const stderr = new TailBuffer(8000);
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
  let forgetSingleton: () => void = () => {};
  const cleanup = async () => {
    await removeSingletonDir(options.profileDir);
    await rm(options.profileDir, { recursive: true, force: true }).catch(() => {});
    forgetSingleton();
    forgetProfile();
  };
  const fail = (why: string, cause?: unknown) => {
    killTree(child);
    return new FrameloomError(CaptureErrors.BROWSER_LAUNCH, `Chromium failed to start: ${why}\n${stderr.toString().trim().split("\n").slice(-5).join("\n")}`, {
      cause,
      retryable: true,
    });
  };
  let browser: Browser;
  try {
    browser = await new Promise<Browser>((resolve, reject) => {
      const timer = setTimeout(() => reject(fail(`no DevTools answer after ${LAUNCH_TIMEOUT_MS} ms`)), LAUNCH_TIMEOUT_MS);
      const onError = (error: Error) => {
        clearTimeout(timer);
        reject(fail(error.message, error));
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        reject(options.signal.aborted ? abortError(options.signal) : fail(`exited with ${code ?? signal}`));
      };
      child.once("error", onError);
      child.once("exit", onExit);
      const transport = new PipeTransport(child.stdio[3] as Writable, child.stdio[4] as Readable);
      puppeteer.connect({ transport, defaultViewport: null, protocolTimeout: 120_000 }).then(
        (connected) => {
          clearTimeout(timer);
          child.off("error", onError);
          child.off("exit", onExit);
          resolve(connected);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(fail(`could not connect: ${errorMessage(error)}`, error));
        },
      );
    });
  } catch (error) {
    killTree(child);
    await exited;
    await cleanup();
    throw error;
  }
  const singleton = singletonDirOf(options.profileDir);
  if (singleton) forgetSingleton = removeOnParentDeath(singleton);
  let closing: Promise<void> | null = null;
  return {
    browser,
    process: child,
    stderrTail: () => stderr.toString(),
    close: () =>
      (closing ??= (async () => {
        const alive = () => child.exitCode === null && child.signalCode === null;
        if (alive()) await withTimeout(browser.close().catch(() => {}), 5000);
        if (alive()) await withTimeout(exited, 3000);
        killTree(child);
        if (alive()) await withTimeout(exited, 3000);
        await cleanup();
      })()),
  };
}

/** The singleton dir Chromium links from `<profile>/SingletonSocket`, when it is one of its own. */
function singletonDirOf(profileDir: string): string | null {
  try {
    const dir = path.dirname(readlinkSync(path.join(profileDir, "SingletonSocket")));
    return path.isAbsolute(dir) && path.basename(dir).startsWith("org.chromium.Chromium.") ? dir : null;
  } catch {
    return null;
  }
}

async function removeSingletonDir(profileDir: string): Promise<void> {
  const dir = singletonDirOf(profileDir);
  if (dir) await rm(dir, { recursive: true, force: true }).catch(() => {});
}

async function withTimeout(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
