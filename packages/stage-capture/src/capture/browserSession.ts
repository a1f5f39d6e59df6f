/**
 * One Chromium process with one page, loaded with a composition and ready to seek + screenshot.
 * One page per browser on purpose: a second tab in the same context hangs on capture
 * (CAPTURE-NOTES.md §7). Every failure is a coded error: a page exception is fatal and carries the
 * page's message; a browser that dies is retryable.
 */
import path from "node:path";
import puppeteer, { type Browser, type CDPSession, type Page } from "puppeteer-core";
import {
  FrameloomError,
  abortError,
  chromiumArgs,
  errorMessage,
  findChromium,
  frameTime,
  type CaptureSettings,
  type Composition,
  type Frame,
} from "@frameloom/shared-helpers";
import { pageRuntimeScript } from "../runtime/pageRuntime.js";
import { guardNetwork } from "../server/networkGuard.js";
import { CaptureErrors } from "./errors.js";

export interface SessionOptions {
  composition: Composition;
  /** URL of the compiled entry on the project file server. */
  entryUrl: string;
  origin: string;
  capture: CaptureSettings;
  strict: boolean;
  warn(message: string): void;
  signal: AbortSignal;
  /** Directory for the browser profile (inside the render's work dir, removed with it). */
  profileDir: string;
}

const READY_TIMEOUT_MS = 60_000;
const FRAME_TIMEOUT_MS = 60_000;

export class BrowserSession {
  private pageError: FrameloomError | null = null;
  private failWaiters = new Set<(error: FrameloomError) => void>();
  private closed = false;

  private constructor(
    private readonly browser: Browser,
    private readonly page: Page,
    private readonly cdp: CDPSession,
    private readonly options: SessionOptions,
    readonly duration: number,
  ) {}

  /** Launches Chromium, loads the composition and waits until frame 0 can be captured. */
  static async open(options: SessionOptions): Promise<BrowserSession> {
    if (options.signal.aborted) throw abortError(options.signal);
    let browser: Browser;
    try {
      browser = await puppeteer.launch({
        executablePath: findChromium(),
        args: chromiumArgs([`--user-data-dir=${options.profileDir}`]),
        headless: true,
        defaultViewport: null,
        protocolTimeout: 120_000,
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
    } catch (error) {
      if (error instanceof FrameloomError) throw error;
      throw new FrameloomError(CaptureErrors.BROWSER_LAUNCH, `Chromium failed to start: ${errorMessage(error)}`, {
        cause: error,
        retryable: true,
      });
    }
    try {
      const [page] = await browser.pages();
      const target = page ?? (await browser.newPage());
      const { composition } = options;
      await target.setViewport({ width: composition.width, height: composition.height, deviceScaleFactor: 1 });
      const cdp = await target.createCDPSession();
      if (options.capture.transparent) {
        await cdp.send("Emulation.setDefaultBackgroundColorOverride", { color: { r: 0, g: 0, b: 0, a: 0 } });
      }
      await target.evaluateOnNewDocument(
        pageRuntimeScript({ fps: composition.fps, compositionId: composition.id, width: composition.width, height: composition.height }),
      );
      const guard = await guardNetwork(target, { origin: options.origin, strict: options.strict, warn: options.warn });
      const session = new BrowserSession(browser, target, cdp, options, 0);
      target.on("pageerror", (error) => session.fail(pageErrorOf(error)));
      browser.on("disconnected", () => {
        if (!session.closed) {
          session.fail(new FrameloomError(CaptureErrors.BROWSER_CRASHED, "Chromium exited unexpectedly during capture", { retryable: true }));
        }
      });
      const abort = () => session.fail(abortError(options.signal));
      options.signal.addEventListener("abort", abort, { once: true });
      await session.guarded(
        target.goto(options.entryUrl, { waitUntil: "load", timeout: READY_TIMEOUT_MS }).catch((error) => {
          throw new FrameloomError(CaptureErrors.PAGE_LOAD, `the composition page failed to load: ${errorMessage(error)}`, { cause: error });
        }),
        READY_TIMEOUT_MS,
        "page load",
      );
      if (guard.violations.length > 0) {
        throw new FrameloomError(
          CaptureErrors.NETWORK_BLOCKED,
          `--strict: the composition requested ${guard.violations[0]} (outside the project); make the asset local`,
        );
      }
      const ready = await session.guarded(
        session.evaluate<{ duration: number }>("window.__frameloom.ready()"),
        READY_TIMEOUT_MS,
        "readiness",
      );
      (session as { duration: number }).duration = ready.duration;
      return session;
    } catch (error) {
      await browser.close().catch(() => {});
      throw error;
    }
  }

  /** Records the first fatal error and wakes anything waiting on the page. */
  private fail(error: FrameloomError): void {
    if (this.pageError) return;
    this.pageError = error;
    for (const waiter of this.failWaiters) waiter(error);
  }

  /** Races a page operation against a page error, a crash, an abort and a timeout. */
  private guarded<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
    if (this.pageError) return Promise.reject(this.pageError);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => finish(() => reject(new FrameloomError(CaptureErrors.SEEK_FAILED, `${what} timed out after ${timeoutMs} ms`, { retryable: true }))),
        timeoutMs,
      );
      const onFail = (error: FrameloomError) => finish(() => reject(error));
      const finish = (fn: () => void) => {
        clearTimeout(timer);
        this.failWaiters.delete(onFail);
        fn();
      };
      this.failWaiters.add(onFail);
      work.then(
        (value) => finish(() => (this.pageError ? reject(this.pageError) : resolve(value))),
        (error) => finish(() => reject(this.pageError ?? toCaptureError(error))),
      );
    });
  }

  private async evaluate<T>(expression: string): Promise<T> {
    const result = await this.cdp.send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
    if (result.exceptionDetails) {
      const text = result.exceptionDetails.exception?.description ?? result.exceptionDetails.text;
      throw new FrameloomError(CaptureErrors.PAGE_ERROR, `the page threw: ${text}`);
    }
    return result.result.value as T;
  }

  /** Seeks to frame `index` and captures it. */
  async captureFrame(index: number): Promise<Frame> {
    const t = frameTime(index, this.options.composition.fps);
    const { capture } = this.options;
    const data = await this.guarded(
      (async () => {
        await this.evaluate(`window.__frameloom.seek(${t})`);
        const shot = await this.cdp.send("Page.captureScreenshot", {
          format: capture.encoding,
          ...(capture.encoding === "jpeg" ? { quality: capture.quality } : {}),
          optimizeForSpeed: true,
        });
        return Buffer.from(shot.data, "base64");
      })(),
      FRAME_TIMEOUT_MS,
      `frame ${index}`,
    );
    return { index, encoding: capture.encoding, data };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const proc = this.browser.process();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.browser.close(), new Promise((r) => (timer = setTimeout(r, 5000)))]).catch(() => {});
    clearTimeout(timer);
    if (proc && proc.exitCode === null && proc.pid) {
      try {
        process.kill(-proc.pid, "SIGKILL");
      } catch {
        proc.kill("SIGKILL");
      }
    }
  }

  /** The process id, for diagnostics and crash tests. */
  get pid(): number | undefined {
    return this.browser.process()?.pid;
  }

  static profileDirFor(workDir: string, worker: number, attempt: number): string {
    return path.join(workDir, `chromium-w${worker}-a${attempt}`);
  }
}

function pageErrorOf(error: unknown): FrameloomError {
  const message = error instanceof Error ? error.message : String(error);
  return new FrameloomError(CaptureErrors.PAGE_ERROR, `the composition page threw an exception: ${message}`);
}

function toCaptureError(error: unknown): FrameloomError {
  if (error instanceof FrameloomError) return error;
  const message = errorMessage(error);
  const crashed = /Target closed|Session closed|Connection closed|Protocol error|detached/i.test(message);
  return new FrameloomError(
    crashed ? CaptureErrors.BROWSER_CRASHED : CaptureErrors.SEEK_FAILED,
    crashed ? `Chromium stopped responding during capture: ${message}` : message,
    { cause: error, retryable: true },
  );
}
