/**
 * Sub-composition scripts in Chromium (scriptScope.ts): queries, GSAP targets, timeline keys and
 * getVariables() resolve inside their own instance; the page runtime seeks each instance's timeline
 * from its host's start.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumArgs, findChromium } from "@frameloom/shared-helpers";
import { compileProject, type CompiledProject } from "./compileProject.js";
import { startFileServer, type FileServer } from "../server/fileServer.js";
import { pageRuntimeScript } from "../runtime/pageRuntime.js";

const gsapFile = createRequire(import.meta.url).resolve("gsap/dist/gsap.min.js");

const INDEX = `<!doctype html>
<html data-composition-variables='[{"id":"who","type":"string","default":"root"}]'><head><meta charset="utf-8">
<script src="gsap.min.js"></script>
<script>window.order = [];</script>
</head><body>
<div id="root" data-composition-id="main" data-width="400" data-height="300" data-duration="4">
  <div class="item" id="root-item"></div>
  <div id="a" data-composition-id="list" data-composition-src="compositions/list.html" data-start="1" data-duration="2" data-variable-values='{"who":"first"}'></div>
  <div id="b" data-composition-id="list" data-composition-src="compositions/list.html" data-start="2" data-duration="2" data-variable-values='{"who":"second","n":3}'></div>
  <div id="c" data-composition-id="pro" data-composition-src="compositions/list.html" data-start="0" data-duration="1"></div>
  <div id="bad" data-composition-id="boom" data-composition-src="compositions/boom.html"></div>
</div>
<script>
  window.order.push("root-end");
  window.rootItems = gsap.utils.toArray(".item").length;
  window.rootVars = window.__hyperframes.getVariables();
  window.__timelines = { main: gsap.timeline({ paused: true }) };
</script>
</body></html>`;

const LIST = `<!doctype html>
<html data-composition-variables='[{"id":"who","type":"string","default":"?"},{"id":"n","type":"number","default":2}]'><head>
<script>window.order.push("head:" + __hyperframes.getVariables().who);</script>
</head><body>
<div id="list-root" data-composition-id="list">
  <video id="v" muted></video>
  <div class="item"></div><div class="item"></div>
</div>
<script>
  var vars = window.__hyperframes.getVariables();
  window.order.push("body:" + vars.who);
  window.seen = window.seen || {};
  window.seen[vars.who] = {
    items: document.querySelectorAll(".item").length,
    byClass: document.getElementsByClassName("item").length,
    video: document.getElementById("v").id,
    root: document.getElementById("list-root") && document.getElementById("list-root").hasAttribute("data-hf-inner-root"),
    rootBySelector: !!document.querySelector('[data-composition-id="list"]'),
    self: this === window,
    n: vars.n,
  };
  var tl = gsap.timeline({ paused: true });
  tl.to(".item", { x: 100, duration: 1, ease: "none" });
  window.__timelines = window.__timelines || {};
  window.__timelines["list"] = tl;
</script>
</body></html>`;

const BOOM = `<div data-composition-id="boom" data-no-timeline><div class="item"></div></div><script>throw new Error("boom-in-sub");</script>`;

let dir: string;
let compiled: CompiledProject;
let server: FileServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "flm-nested-int-"));
  await mkdir(path.join(dir, "compositions"));
  await copyFile(gsapFile, path.join(dir, "gsap.min.js"));
  await writeFile(path.join(dir, "index.html"), INDEX);
  await writeFile(path.join(dir, "compositions/list.html"), LIST);
  await writeFile(path.join(dir, "compositions/boom.html"), BOOM);
  compiled = await compileProject(dir);
  server = await startFileServer({ root: compiled.projectDir, entryUrlPath: compiled.entryUrlPath, entryHtml: compiled.html });
  browser = await puppeteer.launch({ executablePath: findChromium(), args: chromiumArgs(), headless: true });
  page = await browser.newPage();
  await page.setViewport({ width: compiled.width, height: compiled.height });
  await page.evaluateOnNewDocument(pageRuntimeScript({ fps: compiled.fps, compositionId: compiled.id, width: compiled.width, height: compiled.height }));
  await page.goto(server.entryUrl, { waitUntil: "load" });
  await page.evaluate(() => (window as any).__frameloom.ready());
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("sub-composition scripts", () => {
  it("run once per instance, in document order, head scripts first, with that instance's variables", async () => {
    expect(await page.evaluate(() => (window as any).order)).toEqual(["head:first", "body:first", "head:second", "body:second", "head:?", "body:?", "root-end"]);
  });

  it("document queries resolve inside the instance (the file's root and renamed media ids too)", async () => {
    const seen = await page.evaluate(() => (window as any).seen);
    const each = { items: 2, byClass: 2, root: true, rootBySelector: true, self: true };
    expect(seen.first).toEqual({ ...each, video: "v", n: 2 });
    expect(seen.second).toEqual({ ...each, video: "v__hf1", n: 3 });
    expect(seen["?"]).toEqual({ ...each, video: "v__hf2", n: 2 });
  });

  it("root scripts are not scoped, even after a sub-composition script threw", async () => {
    expect(await page.evaluate(() => (window as any).rootItems)).toBe(8);
    expect(await page.evaluate(() => (window as any).rootVars)).toEqual({ who: "root" });
    expect(await page.evaluate(() => (window as any).__frameloom.errors)).toEqual([expect.stringContaining("boom-in-sub")]);
  });

  it("timelines are published under runtime ids (file id restored) and survive the root replacing window.__timelines", async () => {
    const keys = await page.evaluate(() => Object.keys((window as any).__timelines).sort());
    expect(keys).toEqual(["list", "list__hf1", "main", "pro"]);
    const distinct = await page.evaluate(() => {
      const t = (window as any).__timelines;
      return new Set([t.list, t.list__hf1, t.pro]).size;
    });
    expect(distinct).toBe(3);
  });

  it("GSAP selector targets stay inside the instance; each timeline is seeked from its host's start", async () => {
    const xs = await page.evaluate(async () => {
      await (window as any).__frameloom.seek(2.5);
      const x = (el: Element) => Number((window as any).gsap.getProperty(el, "x"));
      const inHost = (id: string) => [...document.querySelectorAll(`#${id} .item`)].map(x);
      return { a: inHost("a"), b: inHost("b"), c: inHost("c"), root: x(document.getElementById("root-item")!) };
    });
    // a: 1 s timeline from 1 s → held at 100; b: from 2 s → 50; c (pro): from 0, held at 100 (hidden); root item untouched.
    expect(xs).toEqual({ a: [100, 100], b: [50, 50], c: [100, 100], root: 0 });
  });
});
