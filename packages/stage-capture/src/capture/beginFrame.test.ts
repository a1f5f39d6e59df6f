/**
 * BeginFrame against real browsers: the @sparticuz/chromium headless shell (unpacked into the
 * user's cache, as a render would) and Debian's Chromium, which has no HeadlessExperimental.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { CDPSession, Page } from "puppeteer-core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { BEGIN_FRAME_ARGS, FrameTicks, probeBeginFrame, probeBrowserBeginFrame, sendBeginFrame } from "./beginFrame.js";
import { resolveBrowser } from "./browserProvider.js";
import { launchChromium, type LaunchedChromium } from "./chromium.js";

const PAGE = "data:text/html,<!doctype html><body style='margin:0;background:%23c33'><h1>frame</h1></body>";
const tmpBefore = new Set(readdirSync(tmpdir()));
const open: { chromium: LaunchedChromium; workDir: string }[] = [];

async function pageIn(executablePath: string, args: string[] = [...BEGIN_FRAME_ARGS]): Promise<{ page: Page; cdp: CDPSession }> {
  const workDir = mkdtempSync(path.join(tmpdir(), "flm-bf-"));
  const chromium = await launchChromium({ executablePath, profileDir: path.join(workDir, "profile"), signal: new AbortController().signal, args });
  open.push({ chromium, workDir });
  const context = await chromium.browser.createBrowserContext();
  const page = await context.newPage();
  return { page, cdp: await page.createCDPSession() };
}

async function evaluate(cdp: CDPSession, expression: string): Promise<unknown> {
  const { result, exceptionDetails } = await cdp.send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
  if (exceptionDetails) throw new Error(exceptionDetails.text);
  return result.value;
}

function within<T>(work: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([work, new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), ms)))]).finally(() => clearTimeout(timer));
}

afterEach(async () => {
  for (const { chromium, workDir } of open.splice(0)) {
    await chromium.close();
    rmSync(workDir, { recursive: true, force: true });
  }
});

afterAll(() => {
  const left = readdirSync(tmpdir()).filter((name) => !tmpBefore.has(name) && /^(flm-bf-|frameloom-probe-)/.test(name));
  expect(left).toEqual([]);
});

describe("FrameTicks", () => {
  it("strictly increases by the interval", () => {
    const ticks = new FrameTicks(40);
    const seen = [ticks.next(), ticks.next(), ticks.next()];
    expect(seen).toEqual([1040, 1080, 1120]);
  });
});

/** A CDPSession stand-in whose `send` answers with `answer(method, callIndex)`. */
function fakeCdp(answer: (method: string, call: number) => Promise<unknown>): CDPSession & { calls: string[] } {
  const calls: string[] = [];
  return { calls, send: (method: string) => answer(method, calls.push(method) - 1) } as unknown as CDPSession & { calls: string[] };
}

describe("sendBeginFrame and probeBeginFrame (protocol stand-in)", () => {
  it("retries 'Another frame is pending' with back-off, then answers", async () => {
    const cdp = fakeCdp(async (_method, call) => {
      if (call < 2) throw new Error("Protocol error (HeadlessExperimental.beginFrame): Another frame is pending");
      return { hasDamage: true };
    });
    expect(await sendBeginFrame(cdp, { frameTimeTicks: 1, interval: 1 })).toEqual({ hasDamage: true });
    expect(cdp.calls).toHaveLength(3);
  });

  it("gives up on a frame that stays pending, and does not retry other errors", async () => {
    const pending = fakeCdp(async () => {
      throw new Error("Another frame is pending");
    });
    await expect(sendBeginFrame(pending, { frameTimeTicks: 1, interval: 1 })).rejects.toMatchObject({
      code: "FLM_ERR_CAPTURE_BEGIN_FRAME",
      message: expect.stringContaining("still pending after 6 retries"),
    });
    expect(pending.calls).toHaveLength(7);
    const closed = fakeCdp(async () => {
      throw new Error("Target closed");
    });
    await expect(sendBeginFrame(closed, { frameTimeTicks: 1, interval: 1 })).rejects.toMatchObject({ code: "FLM_ERR_CAPTURE_BEGIN_FRAME" });
    expect(closed.calls).toHaveLength(1);
  });

  it("the probe is bounded by its timeout when the browser never answers", async () => {
    const silent = fakeCdp(() => new Promise(() => {}));
    const started = Date.now();
    const probe = await probeBeginFrame(silent, { timeoutMs: 200 });
    expect(probe).toMatchObject({ ok: false, reason: "no BeginFrame answer within 200 ms" });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("the probe refuses a screenshot that is not a PNG, and one that never comes", async () => {
    const jpeg = fakeCdp(async (method) => (method.endsWith("beginFrame") ? { hasDamage: true, screenshotData: Buffer.from("\xff\xd8\xff").toString("base64") } : {}));
    expect(await probeBeginFrame(jpeg, {})).toMatchObject({ ok: false, reason: expect.stringContaining("not a PNG") });
    const empty = fakeCdp(async () => ({ hasDamage: false }));
    expect(await probeBeginFrame(empty, {})).toMatchObject({ ok: false, reason: expect.stringContaining("no screenshot data in 5 frames") });
    // enable, the warm-up, then five screenshot frames.
    expect(empty.calls).toEqual(["HeadlessExperimental.enable", ...Array<string>(6).fill("HeadlessExperimental.beginFrame")]);
  });
});

describe("BeginFrame in the headless shell", () => {
  it("probe passes on a navigated page; navigation, evaluate, timers and setViewport work", async () => {
    const shell = await resolveBrowser("shell");
    expect(shell.version).toMatch(/^Chromium 153\./);
    const { page, cdp } = await pageIn(shell.executablePath);
    await page.setViewport({ width: 320, height: 180, deviceScaleFactor: 1 });
    await page.goto(PAGE, { waitUntil: "load" });
    expect(await evaluate(cdp, "innerWidth + 'x' + innerHeight")).toBe("320x180");
    expect(await evaluate(cdp, "new Promise((r) => setTimeout(() => r('fired'), 20))")).toBe("fired");
    const ticks = new FrameTicks();
    const probe = await probeBeginFrame(cdp, { ticks });
    expect(probe).toMatchObject({ ok: true });
    console.log(`shell probe: ${probe.ms} ms`);
    // The caller's tick source went on during the probe: capture continues after it.
    const frame = await sendBeginFrame(cdp, { frameTimeTicks: ticks.next(), interval: ticks.intervalMs, screenshot: { format: "png" } });
    expect(Buffer.from(frame.screenshotData ?? "", "base64").subarray(1, 4).toString()).toBe("PNG");
  });

  it("a page paints only on BeginFrames: rAF waits for one and page.screenshot hangs", async () => {
    const { page, cdp } = await pageIn((await resolveBrowser("shell")).executablePath);
    await page.goto(PAGE, { waitUntil: "load" });
    const raf = evaluate(cdp, "new Promise((r) => requestAnimationFrame(() => r('raf')))");
    expect(await within(raf, 500)).toBe("timeout");
    const ticks = new FrameTicks();
    await sendBeginFrame(cdp, { frameTimeTicks: ticks.next(), interval: ticks.intervalMs });
    expect(await within(raf, 2000)).toBe("raf");
    const screenshot = page.screenshot().catch(() => "failed");
    expect(await within(screenshot, 1500)).toBe("timeout");
  });

  it("sendBeginFrame waits out 'Another frame is pending'", async () => {
    const { page, cdp } = await pageIn((await resolveBrowser("shell")).executablePath);
    await page.goto(PAGE, { waitUntil: "load" });
    const ticks = new FrameTicks();
    // The first frames of a new page may draw nothing (even after a warm-up frame, under load): the probe gets past them.
    expect(await probeBeginFrame(cdp, { ticks })).toMatchObject({ ok: true });
    // Sent together, all but the first meet a pending frame in Chromium.
    const frames = await Promise.all(
      [0, 1, 2].map(() => sendBeginFrame(cdp, { frameTimeTicks: ticks.next(), interval: ticks.intervalMs, screenshot: { format: "png" } })),
    );
    console.log("concurrent frames:", frames.map((f) => `damage=${f.hasDamage} bytes=${f.screenshotData?.length ?? 0}`).join(", "));
    for (const frame of frames) expect(frame.screenshotData?.length).toBeGreaterThan(100);
  });

  it("a new page's first screenshot frame may be empty; the probe's warm-up and retries get past it, about:blank too", async () => {
    const { cdp } = await pageIn((await resolveBrowser("shell")).executablePath);
    expect(await probeBeginFrame(cdp, {})).toMatchObject({ ok: true });
  });

  it("probeBrowserBeginFrame launches, probes and cleans up", async () => {
    const probe = await probeBrowserBeginFrame((await resolveBrowser("shell")).executablePath);
    expect(probe).toMatchObject({ ok: true });
  });
});

describe("BeginFrame in Debian's Chromium", () => {
  it("the probe fails fast, saying the method is missing", async () => {
    const system = await resolveBrowser("system");
    const { page, cdp } = await pageIn(system.executablePath);
    await page.goto(PAGE, { waitUntil: "load" });
    const probe = await probeBeginFrame(cdp, {});
    expect(probe).toMatchObject({ ok: false, reason: expect.stringContaining("'HeadlessExperimental.beginFrame' wasn't found") });
    expect(probe.ms).toBeLessThan(1000);
    console.log(`system probe: ${probe.ms} ms (${probe.ok ? "" : probe.reason})`);
    // BEGIN_FRAME_ARGS do not stop screenshots there (it knows no --enable-begin-frame-control).
    expect(await within(page.screenshot(), 10_000)).toBeInstanceOf(Uint8Array);
  });

  it("sendBeginFrame throws a coded error", async () => {
    const { page, cdp } = await pageIn((await resolveBrowser("system")).executablePath);
    await page.goto(PAGE, { waitUntil: "load" });
    await expect(sendBeginFrame(cdp, { frameTimeTicks: 1, interval: 1 })).rejects.toMatchObject({ code: "FLM_ERR_CAPTURE_BEGIN_FRAME", retryable: true });
  });
});
