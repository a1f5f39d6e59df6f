/**
 * Chromium launcher that owns its process: spawned in its own process group (tracked by
 * shared-helpers, killed on abort and at process exit), connected over the DevTools WebSocket.
 * When the main process dies for any reason, its whole group (zygote, renderers, GPU process) is
 * killed at once, so nothing keeps writing into the profile directory the kernel is removing.
 */
import type { ChildProcess } from "node:child_process";
import puppeteer, { type Browser } from "puppeteer-core";
import {
  FrameloomError,
  TailBuffer,
  abortError,
  chromiumArgs,
  errorMessage,
  findChromium,
  killTree,
  spawnTracked,
} from "@frameloom/shared-helpers";
import { CaptureErrors } from "./errors.js";

const LAUNCH_TIMEOUT_MS = 30_000;

export interface LaunchedChromium {
  browser: Browser;
  process: ChildProcess;
  /** Closes politely (5 s at most), then kills the whole group and waits for the main process to exit. */
  close(): Promise<void>;
}

export async function launchChromium(options: { profileDir: string; signal: AbortSignal }): Promise<LaunchedChromium> {
  if (options.signal.aborted) throw abortError(options.signal);
  const args = puppeteer
    .defaultArgs({ headless: true, userDataDir: options.profileDir, args: chromiumArgs() })
    .filter((a) => a !== "--headless" && a !== "about:blank" && !a.startsWith("--remote-debugging"))
    .concat(["--remote-debugging-port=0", "about:blank"]);
  const child = spawnTracked(findChromium(), args, { signal: options.signal, stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // The main process gone means the browser is gone: take its helpers with it.
  void exited.then(() => killTree(child));
  const stderr = new TailBuffer(4000);
  const fail = (why: string, cause?: unknown) => {
    killTree(child);
    return new FrameloomError(CaptureErrors.BROWSER_LAUNCH, `Chromium failed to start: ${why}\n${stderr.toString().trim().split("\n").slice(-5).join("\n")}`, {
      cause,
      retryable: true,
    });
  };
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(fail(`no DevTools endpoint after ${LAUNCH_TIMEOUT_MS} ms`)), LAUNCH_TIMEOUT_MS);
    const done = () => clearTimeout(timer);
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr.push(chunk);
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(stderr.toString());
      if (match) {
        done();
        resolve(match[1]!);
      }
    });
    child.once("error", (error) => {
      done();
      reject(fail(error.message, error));
    });
    child.once("exit", (code, signal) => {
      done();
      reject(options.signal.aborted ? abortError(options.signal) : fail(`exited with ${code ?? signal}`));
    });
  });
  child.stderr?.removeAllListeners("data");
  child.stderr?.resume();
  let browser: Browser;
  try {
    browser = await puppeteer.connect({ browserWSEndpoint: endpoint, defaultViewport: null, protocolTimeout: 120_000 });
  } catch (error) {
    throw fail(`could not connect: ${errorMessage(error)}`, error);
  }
  let closing: Promise<void> | null = null;
  return {
    browser,
    process: child,
    close: () =>
      (closing ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([browser.close(), new Promise((r) => (timer = setTimeout(r, 5000)))]).catch(() => {});
        clearTimeout(timer);
        killTree(child);
        if (child.exitCode === null && child.signalCode === null) {
          await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
          clearTimeout(timer);
        }
      })()),
  };
}
