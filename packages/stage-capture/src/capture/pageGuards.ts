/**
 * What watches a composition page while it is captured, besides the seek loop: blocked network
 * attempts (named, and fatal with `--strict`), navigation away from the composition (always
 * fatal), popups, renderer crashes (noticed at once, retryable) and the page memory cap.
 *
 * Invariants:
 * - Every finding reaches the session through `fail` (first error wins there) or `warn`; nothing
 *   here throws into an event handler.
 * - Navigation: once the entry is loading, the main frame may commit the entry once; any script,
 *   meta refresh, form or link navigation of the main frame, and any later commit (an error page
 *   included), is FLM_ERR_CAPTURE_NAVIGATION naming the URL (query left out).
 * - Memory: over `maxPageMemoryMb` of renderer RSS (sampled every 200 ms) or a V8 out-of-memory
 *   crash (heap limit = the same number) is FLM_ERR_CAPTURE_PAGE_MEMORY, not retryable; any other
 *   renderer crash is FLM_ERR_CAPTURE_BROWSER_CRASHED, retryable, with a warning.
 */
import type { CDPSession, Page } from "puppeteer-core";
import { FrameloomError } from "@frameloom/shared-helpers";
import { SEAL_BINDING, SEAL_PAGE_SCRIPT, isAllowedUrl, redactUrl, type NetworkGuard } from "../server/networkGuard.js";
import type { LaunchedChromium } from "./chromium.js";
import { CaptureErrors } from "./errors.js";
import { watchRendererMemory, type MemoryWatch } from "./memoryWatch.js";

export interface PageGuardOptions {
  page: Page;
  cdp: CDPSession;
  chromium: LaunchedChromium;
  guard: NetworkGuard;
  origin: string;
  entryUrl: string;
  maxPageMemoryMb?: number;
  warn(message: string): void;
  fail(error: FrameloomError): void;
  /** Where the capture is, for messages: "while loading", "at frame 12". */
  where(): string;
}

export interface PageGuards {
  /** Call right before navigating to the entry. */
  loadingEntry(): void;
  stop(): void;
}

/** Chromium's stderr when a renderer died of V8 or Oilpan out-of-memory. */
const OOM_PATTERN = /V8 javascript OOM|Oilpan: Out of memory|Fatal JavaScript out of memory|OOM \(|out of memory/i;
/** How long after a crash Chromium's stderr may still bring its reason. */
const CRASH_REASON_WAIT_MS = 250;

export function memoryError(limitMb: number, why: string, where: string): FrameloomError {
  return new FrameloomError(
    CaptureErrors.PAGE_MEMORY,
    `the composition page ${why} ${where}, over the ${limitMb} MB page memory limit (--max-page-memory ${limitMb}); ` +
      `make the page allocate less, or raise --max-page-memory <MB>`,
    { details: { limitMb } },
  );
}

export async function guardPage(options: PageGuardOptions): Promise<PageGuards> {
  const { page, cdp, guard, origin, entryUrl } = options;
  const limit = options.maxPageMemoryMb;
  let stopped = false;
  let entryCommits = 0;
  let loading = false;

  await page.exposeFunction(SEAL_BINDING, (payload: string) => {
    try {
      const event = JSON.parse(payload) as { kind?: string; target?: string };
      if (event.kind === "webrtc") guard.report(String(event.target), "webrtc");
    } catch {
      /* not ours */
    }
  });
  await page.evaluateOnNewDocument(SEAL_PAGE_SCRIPT);
  await cdp.send("Page.enable");
  await cdp.send("Network.enable");
  const mainFrameId = (await cdp.send("Page.getFrameTree")).frameTree.frame.id;

  const navigationError = (url: string, how: string) =>
    new FrameloomError(
      CaptureErrors.NAVIGATION,
      `the composition navigated away to ${redactUrl(url)} (${how}) ${options.where()}; a composition must stay on its page ` +
        `(remove the location change, meta refresh, form submission or link)`,
      { details: { url: redactUrl(url) } },
    );

  cdp.on("Page.windowOpen", (event) => guard.report(event.url, "popup"));
  cdp.on("Network.requestWillBeSent", (event) => {
    if (!isAllowedUrl(event.request.url, origin)) guard.report(event.request.url, "request");
  });
  cdp.on("Network.webSocketCreated", (event) => guard.report(event.url, "websocket"));
  cdp.on("Page.frameRequestedNavigation", (event) => {
    if (event.frameId !== mainFrameId || stopped) return;
    options.fail(navigationError(event.url, describeReason(event.reason)));
  });
  cdp.on("Page.frameNavigated", (event) => {
    const frame = event.frame;
    if (frame.parentId || !loading || stopped) return;
    const url = frame.unreachableUrl ?? frame.url;
    if (frame.url === entryUrl && !frame.unreachableUrl && entryCommits === 0) {
      entryCommits += 1;
      return;
    }
    options.fail(navigationError(url, frame.unreachableUrl ? "it failed to load and Chromium showed its error page" : "a new document"));
  });

  let memory: MemoryWatch | null = null;
  let overLimit = false;
  const pid = options.chromium.process.pid;
  if (limit !== undefined && pid !== undefined) {
    memory = watchRendererMemory({
      groupId: pid,
      limitMb: limit,
      onExceeded: ({ rssMb, pids }) => {
        overLimit = true;
        options.fail(memoryError(limit, `used ${Math.round(rssMb)} MB of memory (renderer RSS)`, options.where()));
        // Stop the allocation now: the renderer dies, the session is already failed.
        for (const p of pids) {
          try {
            process.kill(p, "SIGKILL");
          } catch {
            /* gone */
          }
        }
      },
    });
  }

  page.on("error", () => {
    if (stopped) return;
    const where = options.where();
    setTimeout(() => {
      // The watchdog killed it: the memory error is already the session's.
      if (stopped || overLimit) return;
      const oom = OOM_PATTERN.test(options.chromium.stderrTail());
      const nearLimit = limit !== undefined && memory !== null && memory.lastRssMb >= 0.9 * limit;
      if (limit !== undefined && (oom || nearLimit)) {
        options.fail(memoryError(limit, oom ? "ran out of JavaScript heap" : `used ${Math.round(memory!.lastRssMb)} MB of memory`, where));
        return;
      }
      options.warn(`the composition page's renderer crashed ${where}; its frames are captured again by a fresh browser`);
      options.fail(
        new FrameloomError(CaptureErrors.BROWSER_CRASHED, `the composition page's renderer process crashed ${where}`, { retryable: true }),
      );
    }, CRASH_REASON_WAIT_MS);
  });

  return {
    loadingEntry() {
      loading = true;
    },
    stop() {
      stopped = true;
      memory?.stop();
    },
  };
}

function describeReason(reason: string): string {
  switch (reason) {
    case "scriptInitiated":
      return "a script changed location";
    case "metaTagRefresh":
      return "a meta refresh";
    case "formSubmissionGet":
    case "formSubmissionPost":
      return "a form submission";
    case "anchorClick":
      return "a link";
    case "reload":
      return "a reload";
    default:
      return reason;
  }
}
