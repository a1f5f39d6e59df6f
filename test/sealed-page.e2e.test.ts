/**
 * The sealed page (docs/capture.md): a composition reaches its project's file server and nothing
 * else. Each probe runs in a real render against a trap listening on 127.0.0.1 (TCP and UDP on one
 * port) that records every connection and byte: nothing may arrive, the attempt is warned about
 * (query strings left out), `--strict` fails the render at any time during it, and navigating away
 * is a render error naming the URL.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import puppeteer from "puppeteer-core";
import { render } from "@frameloom/cli";
import { chromiumArgs, findChromium } from "@frameloom/shared-helpers";
import { expectCleanState, renderFails } from "./helpers/expect.js";
import { watchChromium } from "./helpers/procs.js";
import { BIN, page, sandbox, type Sandbox } from "./helpers/sandbox.js";
import { startTrap, type Trap } from "./helpers/trap.js";

let box: Sandbox;
let trap: Trap;
beforeEach(async () => {
  box = sandbox("seal");
  trap = await startTrap();
});
afterEach(async () => {
  await trap?.close();
  box?.cleanup();
});

const SECRET = "s3cr3t-token";
const out = () => path.join(box.out, "out.mp4");

interface Probe {
  name: string;
  /** Page markup and script; P is the trap's port. */
  body?: (p: number) => string;
  script?: (p: number) => string;
  files?: (p: number) => Record<string, string>;
  /** What the strict failure (and the warning) must name. */
  names: (p: number) => RegExp;
}

const PROBES: Probe[] = [
  {
    name: "WebSocket",
    script: (p) => `new WebSocket("ws://127.0.0.1:${p}/?secret=${SECRET}");`,
    names: (p) => new RegExp(`ws://127\\.0\\.0\\.1:${p}/`),
  },
  {
    name: "WebSocket from a data: iframe",
    body: (p) => `<iframe src="data:text/html,<script>new WebSocket('ws://127.0.0.1:${p}/from-data-iframe')</script>"></iframe>`,
    names: (p) => new RegExp(`127\\.0\\.0\\.1:${p}`),
  },
  {
    name: "service worker that fetches",
    script: () => `navigator.serviceWorker.register("sw.js").catch(function () {});`,
    files: (p) => ({
      "sw.js": `self.addEventListener("install", function () { fetch("http://127.0.0.1:${p}/from-sw?secret=${SECRET}").catch(function () {}); });`,
    }),
    names: (p) => new RegExp(`http://127\\.0\\.0\\.1:${p}/from-sw`),
  },
  {
    name: "window.open popup that runs its own fetch",
    script: () => `window.open("popup.html");`,
    files: (p) => ({ "popup.html": `<script>fetch("http://127.0.0.1:${p}/from-popup").catch(function () {});</script>` }),
    names: () => /popup window for http:\/\/127\.0\.0\.1:\d+\/popup\.html|127\.0\.0\.1:\d+\/popup\.html \(a popup window\)/,
  },
  {
    name: "WebRTC STUN/TURN",
    script: (p) => `
      var pc = new RTCPeerConnection({ iceServers: [{ urls: "stun:127.0.0.1:${p}" }, { urls: "turn:127.0.0.1:${p}?transport=tcp", username: "u", credential: "c" }] });
      pc.createDataChannel("x");
      pc.createOffer().then(function (o) { return pc.setLocalDescription(o); }).catch(function () {});`,
    names: (p) => new RegExp(`stun:127\\.0\\.0\\.1:${p}`),
  },
  {
    name: "dedicated worker's own fetch and WebSocket",
    script: () => `new Worker("worker.js");`,
    files: (p) => ({ "worker.js": `fetch("http://127.0.0.1:${p}/from-worker").catch(function () {}); new WebSocket("ws://127.0.0.1:${p}/from-worker");` }),
    names: (p) => new RegExp(`127\\.0\\.0\\.1:${p}`),
  },
  {
    name: "fetch from a rAF callback mid-render (t ≥ 0.5 s)",
    script: (p) => `var sent = false; requestAnimationFrame(function tick(now) {
      if (now >= 500 && !sent) { sent = true; fetch("http://127.0.0.1:${p}/late?secret=${SECRET}").catch(function () {}); }
      requestAnimationFrame(tick); });`,
    names: (p) => new RegExp(`http://127\\.0\\.0\\.1:${p}/late\\?…`),
  },
  {
    name: "prefetch (with preconnect and dns-prefetch hints)",
    body: (p) =>
      `<link rel="preconnect" href="http://127.0.0.1:${p}"><link rel="dns-prefetch" href="//trap.invalid"><link rel="prefetch" href="http://127.0.0.1:${p}/prefetched">`,
    names: (p) => new RegExp(`http://127\\.0\\.0\\.1:${p}/prefetched`),
  },
  {
    name: "localhost alias, sendBeacon, EventSource, <img>",
    body: (p) => `<img src="http://127.0.0.1:${p}/img.png">`,
    script: (p) => `fetch("http://localhost:${p}/alias").catch(function () {}); navigator.sendBeacon("http://127.0.0.1:${p}/beacon", "x"); new EventSource("http://127.0.0.1:${p}/events");`,
    names: (p) => new RegExp(`127\\.0\\.0\\.1:${p}|localhost:${p}`),
  },
];

function probeProject(name: string, probes: Probe[], p: number, duration = "2"): string {
  const files: Record<string, string> = {};
  for (const probe of probes) Object.assign(files, probe.files?.(p) ?? {});
  return box.project(
    name,
    page({
      duration,
      extraRootAttrs: "data-no-timeline",
      body: probes.map((probe) => probe.body?.(p) ?? "").join("\n"),
      script: probes.map((probe) => probe.script?.(p) ?? "").join("\n"),
    }),
    { files },
  );
}

/** The trap saw nothing, also a moment after the render (late service-worker or popup work). */
async function expectTrapEmpty(): Promise<void> {
  await new Promise((r) => setTimeout(r, 500));
  expect(trap.log, "what reached the trap listener").toEqual([]);
  expect(trap.total()).toBe(0);
}

describe("the trap listener", () => {
  it("records what reaches it (control: an unsealed Chromium's fetch and WebSocket do)", async () => {
    // The control page is served from loopback too: Chromium keeps an opaque-origin page off 127.0.0.1.
    const server = http.createServer((_, res) => res.end("<p>control</p>"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const browser = await puppeteer.launch({ executablePath: findChromium(), args: chromiumArgs(), headless: true });
    try {
      const tab = await browser.newPage();
      await tab.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await tab.evaluate(`fetch("http://127.0.0.1:${trap.port}/control").catch(() => {}); new WebSocket("ws://127.0.0.1:${trap.port}/control");`);
      const deadline = Date.now() + 5000;
      while (trap.tcpBytes === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await browser.close();
      server.close();
    }
    expect(trap.tcpConnections).toBeGreaterThanOrEqual(1);
    expect(trap.tcpBytes).toBeGreaterThan(0);
    expect(trap.log.join("\n")).toContain("/control");
  });
});

describe("sealed page", () => {
  it("every probe at once, without --strict: the render succeeds, warns about each, and not one byte reaches the trap", async () => {
    const dir = probeProject("all", PROBES, trap.port);
    const warnings: string[] = [];
    const watch = watchChromium(box.root);
    const summary = await render({ input: dir, output: out(), workers: 1, quality: "draft", onWarning: (w) => warnings.push(w) });
    const groups = await watch.stop();
    expect(summary.frames).toBe(60);
    await expectTrapEmpty();
    const text = warnings.join("\n");
    for (const probe of PROBES) expect(text, `a warning for: ${probe.name}`).toMatch(probe.names(trap.port));
    expect(text, "query strings are left out of messages").not.toContain(SECRET);
    await expectCleanState({ ...box, outFiles: () => [] }, groups);
  });

  for (const probe of PROBES) {
    it(`--strict fails on: ${probe.name}; nothing reaches the trap`, async () => {
      const dir = probeProject("strict", [probe], trap.port);
      const watch = watchChromium(box.root);
      const { error, ms } = await renderFails({ input: dir, output: out(), workers: 1, strict: true, quality: "draft" });
      const groups = await watch.stop();
      expect(error.code, error.message).toBe("FLM_ERR_CAPTURE_NETWORK_BLOCKED");
      expect(error.message).toMatch(probe.names(trap.port));
      expect(error.message).not.toContain(SECRET);
      expect(ms).toBeLessThan(30_000);
      await expectTrapEmpty();
      await expectCleanState(box, groups);
    });
  }

  it("--strict through the CLI: exit 1 with the code, mid-render", async () => {
    const dir = probeProject("cli", [PROBES.find((p) => p.name.startsWith("fetch from a rAF"))!], trap.port);
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, "render", dir, "-o", out(), "--strict", "--workers", "1", "--quality", "draft"], {
        env: { ...process.env, TMPDIR: box.tmp },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stderr }));
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/frameloom: --strict: the composition tried to reach http:\/\/127\.0\.0\.1:\d+\/late\?… at frame \d+/);
    expect(result.stderr).toContain("[FLM_ERR_CAPTURE_NETWORK_BLOCKED]");
    await expectTrapEmpty();
    await expectCleanState(box);
  });

  const navigations = [
    {
      name: "location.href to another port at load",
      script: (p: number) => `location.href = "http://127.0.0.1:${p}/away?secret=${SECRET}";`,
      names: (p: number) => new RegExp(`navigated away to http://127\\.0\\.0\\.1:${p}/away\\?…`),
    },
    {
      name: "location.href to another project page mid-render (t ≥ 0.5 s)",
      script: () => `var gone = false; requestAnimationFrame(function tick(now) {
        if (now >= 500 && !gone) { gone = true; location.href = "other.html"; } requestAnimationFrame(tick); });`,
      names: () => /navigated away to http:\/\/127\.0\.0\.1:\d+\/other\.html \(a script changed location\) at frame \d+/,
      files: { "other.html": "<p>another page</p>" },
    },
    {
      name: "meta refresh",
      body: (p: number) => `<meta http-equiv="refresh" content="0; url=http://127.0.0.1:${p}/refresh">`,
      names: (p: number) => new RegExp(`navigated away to http://127\\.0\\.0\\.1:${p}/refresh`),
    },
  ];
  for (const nav of navigations) {
    it(`navigation away is a render error naming the URL: ${nav.name}`, async () => {
      const dir = box.project(
        "nav",
        page({ duration: "2", extraRootAttrs: "data-no-timeline", body: nav.body?.(trap.port) ?? "", script: nav.script?.(trap.port) ?? "" }),
        { files: nav.files ?? {} },
      );
      const watch = watchChromium(box.root);
      const { error, ms } = await renderFails({ input: dir, output: out(), workers: 1, quality: "draft" });
      const groups = await watch.stop();
      expect(error.code, error.message).toBe("FLM_ERR_CAPTURE_NAVIGATION");
      expect(error.message).toMatch(nav.names(trap.port));
      expect(error.message).not.toContain(SECRET);
      expect(ms).toBeLessThan(30_000);
      await expectTrapEmpty();
      await expectCleanState(box, groups);
    });
  }
});
