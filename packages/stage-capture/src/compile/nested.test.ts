import { symlink } from "node:fs/promises";
import path from "node:path";
import { parse } from "parse5";
import { afterAll, describe, expect, it } from "vitest";
import { isFrameloomError } from "@frameloom/shared-helpers";
import { compileProject } from "./compileProject.js";
import { CompileErrors } from "./errors.js";
import { MAX_NESTING_DEPTH } from "./nested.js";
import { allElements, attr, type Element } from "./tree.js";
import { testProjects } from "./testProjects.js";

const projects = testProjects("flm-nested-");
afterAll(() => projects.cleanup());
const project = projects.project;

const index = (body: string, head = ""): string =>
  `<!doctype html><html><head><meta charset="utf-8">${head}</head><body>` +
  `<div id="root" data-composition-id="main" data-width="320" data-height="180" data-duration="3">${body}</div></body></html>`;

async function compiled(dir: string, options = {}) {
  const result = await compileProject(dir, options);
  const doc = parse(result.html);
  const els = allElements(doc);
  const byComp = (id: string) => els.find((el) => attr(el, "data-composition-id") === id);
  return { result, els, byComp, html: result.html };
}

async function failure(dir: string): Promise<Error & { code: string; details?: Record<string, unknown> }> {
  const error = await compileProject(dir).then(
    () => null,
    (e: unknown) => e,
  );
  expect(isFrameloomError(error), String(error)).toBe(true);
  return error as Error & { code: string };
}

describe("data-composition-src", () => {
  it("inlines a file: inner root becomes the host's only child, attributes moved, sizes inherited", async () => {
    const dir = await project({
      "index.html": index(`<div id="h" data-composition-id="scene" data-composition-src="compositions/scene.html" data-start="1"></div>`),
      "compositions/scene.html": `<!doctype html><html><body><div id="sroot" data-composition-id="scene" data-width="160" data-height="90" data-start="5" data-duration="2" data-no-timeline><p>hi</p></div><script>var x = 1;</script></body></html>`,
    });
    const { byComp, els } = await compiled(dir);
    const host = byComp("scene")!;
    expect(attr(host, "data-composition-src")).toBeNull();
    expect(attr(host, "data-composition-file")).toBe("compositions/scene.html");
    expect([attr(host, "data-width"), attr(host, "data-height"), attr(host, "data-duration"), attr(host, "data-start")]).toEqual(["160", "90", "2", "1"]);
    expect(attr(host, "data-no-timeline")).toBe("");
    expect(attr(host, "style")).toBe("width:160px;height:90px");
    const children = host.childNodes.filter((n) => "tagName" in n) as Element[];
    expect(children).toHaveLength(1);
    const inner = children[0]!;
    expect(attr(inner, "data-hf-inner-root")).toBe("");
    expect(attr(inner, "data-hf-authored-id")).toBe("sroot");
    for (const name of ["id", "data-composition-id", "data-start", "data-duration"]) expect(attr(inner, name)).toBeNull();
    expect(attr(inner, "style")).toBe("width:160px;height:90px");
    // the body script after the inner root moved inside it, wrapped
    const script = els.find((el) => el.tagName === "script" && (el.childNodes[0] as { value?: string })?.value?.includes("var x = 1"))!;
    expect((script.parentNode as Element)).toBe(inner);
    expect((script.childNodes[0] as { value: string }).value).toMatch(/^__hfScope\.run\("scene", 3, function \(document, gsap, __hyperframes\)/);
  });

  it("resolves every src from the project root at any depth, and asset paths against the file", async () => {
    const dir = await project({
      "index.html": index(`<div data-composition-id="a" data-composition-src="compositions/a.html"></div>`),
      "compositions/a.html": `<div data-composition-id="a"><img id="i1" src="../assets/x.png"><img id="i2" src="here.png"><img id="i3" src="assets/x.png"><div data-composition-id="b" data-composition-src="compositions/deeper/b.html"></div></div>`,
      "compositions/here.png": "",
      "compositions/deeper/b.html": `<template><div data-composition-id="b" style="background:url(../../assets/x.png)"><video id="v" src="clip.mp4" muted></video><div data-composition-id="c" data-composition-src="/compositions/deeper/c.html"></div></div></template>`,
      "compositions/deeper/clip.mp4": "",
      "compositions/deeper/c.html": `<div data-composition-id="c"><i>c</i></div>`,
      "assets/x.png": "",
    });
    const { els, byComp, result } = await compiled(dir);
    const src = (id: string) => attr(els.find((el) => attr(el, "id") === id)!, "src");
    expect([src("i1"), src("i2"), src("i3"), src("v")]).toEqual(["assets/x.png", "compositions/here.png", "assets/x.png", "compositions/deeper/clip.mp4"]);
    expect(byComp("c")).toBeDefined();
    const bInner = byComp("b")!.childNodes.find((n) => "tagName" in n) as Element;
    expect(attr(bInner, "style")).toContain("url(assets/x.png)");
    expect(result.media.map((m) => path.relative(dir, m.path))).toEqual(["assets/x.png", "compositions/here.png", "assets/x.png", "compositions/deeper/clip.mp4"]);
    expect(result.warnings).toEqual([]);
  });

  it("template#X-template is preferred in the file, else the first template, else the body; head styles scoped and hoisted", async () => {
    const dir = await project({
      "index.html": index(`<div data-composition-id="x" data-composition-src="compositions/x.html"></div>`),
      "compositions/x.html": `<!doctype html><html><head><style>body { color: red } .t { top: 0 }</style><script src="../lib.js"></script><script>window.first = 1;</script></head>` +
        `<body><template id="other"><div data-composition-id="x"><b>wrong</b></div></template><template id="x-template"><div data-composition-id="x"><i class="t">right</i></div></template><p>body</p></body></html>`,
      "lib.js": "",
    });
    const { html } = await compiled(dir);
    expect(html).toContain("<i class=\"t\">right</i>");
    expect(html).not.toContain("<b>wrong</b>");
    expect(html).not.toContain("<p>body</p>");
    expect(html).toMatch(/<head>.*<style data-hf-composition="x">\[data-composition-id="x"\] \{ color: red \} \[data-composition-id="x"\] \.t \{ top: 0 \}<\/style>.*<\/head>/s);
    expect(html).toMatch(/<head>.*<script src="lib\.js"><\/script>.*<\/head>/s);
    // the head's inline script runs first inside the composition
    expect(html).toMatch(/data-hf-inner-root="">\s*<script>__hfScope\.run\("x", 3, [^<]*window\.first = 1;/);
  });

  it("the <template id=\"X-template\"> form of the entry, and inline hosts left as they are", async () => {
    const dir = await project({
      "index.html": index(
        `<div data-composition-id="t" data-start="1"></div><template id="t-template"><div data-composition-id="t" data-width="50" data-height="40"><u>tpl</u></div></template>` +
          `<div data-composition-id="inline"><s>inline</s><script>var y;</script></div>`,
      ),
    });
    const { byComp, html } = await compiled(dir);
    const host = byComp("t")!;
    expect([attr(host, "data-width"), attr(host, "data-height")]).toEqual(["50", "40"]);
    expect(html).toMatch(/<div data-composition-id="t"[^>]*><div[^>]*data-hf-inner-root=""[^>]*><u>tpl<\/u><\/div><\/div>/);
    expect(html).toContain(`<div data-composition-id="inline"><s>inline</s><script>var y;</script></div>`);
  });

  it("repeated mounts get runtime ids X__hf1, X__hf2; taken media ids are renamed; CSS and timeline keys follow", async () => {
    const card = `<html><head><style>#v { top: 1px } [data-composition-id="card"] { left: 0 }</style></head><body><div data-composition-id="card"><video id="v" src="c.mp4" muted></video></div><script>window.__timelines["card"] = 1;</script></body></html>`;
    const dir = await project({
      "index.html": index(
        [1, 2, 3].map((n) => `<div id="h${n}" data-composition-id="card" data-composition-src="compositions/card.html" data-start="${n - 1}" data-duration="1"></div>`).join(""),
      ),
      "compositions/card.html": card,
      "compositions/c.mp4": "",
    });
    const { byComp, html, result } = await compiled(dir);
    expect(byComp("card")).toBeDefined();
    expect(attr(byComp("card__hf1")!, "data-hf-original-composition-id")).toBe("card");
    expect(attr(byComp("card__hf2")!, "id")).toBe("h3");
    expect(result.media.map((m) => [m.id, m.start, m.duration])).toEqual([["v", 0, 1], ["v__hf1", 1, 1], ["v__hf2", 2, 1]]);
    expect(html).toContain(`<style data-hf-composition="card__hf1">[data-composition-id="card__hf1"] #v__hf1 { top: 1px } [data-composition-id="card__hf1"] > [data-hf-inner-root] { left: 0 }</style>`);
    expect(html).toContain(`"card__hf2":{"rid":"card__hf2","authoredId":"card","fileId":"card","innerId":null,"ids":{"v":"v__hf2"}}`);
    expect(html).toContain(`__hfScope.run("card__hf1", 3,`);
  });

  it("deduplicates external scripts a sub-composition brings; keeps the root's own", async () => {
    const dir = await project({
      "index.html": index(`<div data-composition-id="a" data-composition-src="compositions/a.html"></div><div data-composition-id="a" data-composition-src="compositions/a.html"></div>`, `<script src="gsap.min.js"></script>`),
      "compositions/a.html": `<html><head><script src="../gsap.min.js"></script><script src="../only.js"></script></head><body><div data-composition-id="a"><script src="/gsap.min.js"></script></div></body></html>`,
      "gsap.min.js": "",
      "only.js": "",
    });
    const { els } = await compiled(dir);
    const srcs = els.filter((el) => el.tagName === "script" && attr(el, "src") !== null).map((el) => attr(el, "src"));
    expect(srcs).toEqual(["gsap.min.js", "only.js"]);
  });

  it("a local stylesheet <link> is inlined, scoped, with its url()s against the stylesheet", async () => {
    const dir = await project({
      "index.html": index(`<div data-composition-id="a" data-composition-src="compositions/a.html"></div>`),
      "compositions/a.html": `<html><head><link rel="stylesheet" href="css/a.css"></head><body><div data-composition-id="a"></div></body></html>`,
      "compositions/css/a.css": `.x { background: url(../img/b.png) }`,
    });
    const { html } = await compiled(dir);
    expect(html).toContain(`<style data-hf-composition="a">[data-composition-id="a"] .x { background: url(compositions/img/b.png) }</style>`);
  });

  it("circular references are skipped (with a warning), the rest renders", async () => {
    const dir = await project({
      "index.html": index(`<div data-composition-id="a" data-composition-src="compositions/a.html"></div>`),
      "compositions/a.html": `<div data-composition-id="a"><div data-composition-id="b" data-composition-src="compositions/b.html"></div></div>`,
      "compositions/b.html": `<div data-composition-id="b"><div id="back" data-composition-id="a" data-composition-src="compositions/a.html"></div></div>`,
    });
    const { result, els } = await compiled(dir);
    expect(result.warnings).toEqual([expect.stringMatching(/compositions\/b\.html: <div id="back" data-composition-id="a"> data-composition-src="compositions\/a\.html" is circular \(index\.html → compositions\/a\.html → compositions\/b\.html → compositions\/a\.html\); skipped/)]);
    const back = els.find((el) => attr(el, "id") === "back")!;
    expect(back.childNodes).toHaveLength(0);
    expect(attr(back, "data-composition-src")).toBeNull();
  });

  it("a missing, empty or unparsable file aborts, listing every bad reference with its element and attribute", async () => {
    const dir = await project({
      "index.html": index(
        `<div id="m" data-composition-id="m" data-composition-src="compositions/missing.html"></div>` +
          `<div id="e" data-composition-id="e" data-composition-src="compositions/empty.html"></div>` +
          `<div id="ok" data-composition-id="ok" data-composition-src="compositions/ok.html"></div>` +
          `<div data-composition-id="out" data-composition-src="../outside.html"></div>` +
          `<div data-composition-id="url" data-composition-src="https://example.com/x.html"></div>`,
      ),
      "compositions/empty.html": "  \n",
      "compositions/ok.html": `<div data-composition-id="ok"><div id="cut" data-composition-id="u" data-composition-src="compositions/cut.html"></div><div id="bin" data-composition-id="b" data-composition-src="compositions/bin.html"></div><div id="nomark" data-composition-id="t" data-composition-src="compositions/text.html"></div><div id="dir" data-composition-id="d" data-composition-src="compositions"></div></div>`,
      "compositions/cut.html": `<div data-composition-id="u"><p class="x`,
      "compositions/bin.html": Buffer.from([0x3c, 0x64, 0x00, 0xff, 0x01]),
      "compositions/text.html": `<template></template>`,
    });
    const error = await failure(dir);
    expect(error.code).toBe(CompileErrors.COMPOSITION_SRC_INVALID);
    const refs = (error.details!.references as { element: string; attribute: string; file: string; reason: string }[]).map((r) => `${r.element} ${r.attribute} in ${r.file}: ${r.reason}`);
    expect(refs).toEqual([
      expect.stringMatching(/^<div id="m" data-composition-id="m"> data-composition-src="compositions\/missing\.html" in index\.html: file not found/),
      expect.stringMatching(/^<div id="e" data-composition-id="e"> data-composition-src="compositions\/empty\.html" in index\.html: the file is empty/),
      expect.stringMatching(/^<div id="cut" data-composition-id="u"> data-composition-src="compositions\/cut\.html" in compositions\/ok\.html: unparsable: .* ends inside its markup \(eof-in-tag/),
      expect.stringMatching(/^<div id="bin" data-composition-id="b"> .* unparsable: .* binary data/),
      expect.stringMatching(/^<div id="nomark" data-composition-id="t"> .* has no markup in its <template>/),
      expect.stringMatching(/^<div id="dir" data-composition-id="d"> .* not a file/),
      expect.stringMatching(/^<div data-composition-id="out"> data-composition-src="\.\.\/outside\.html" in index\.html: points outside the project/),
      expect.stringMatching(/^<div data-composition-id="url"> .* only project paths are loaded/),
    ]);
    expect(error.message).toMatch(/^8 sub-composition reference\(s\) cannot be inlined: /);
    for (const id of ["m", "e", "cut", "bin", "nomark", "dir"]) expect(error.message).toContain(`id="${id}"`);
  });

  it("a file reached through a symlink out of the project is refused", async () => {
    const outside = await project({ "x.html": `<div data-composition-id="x"></div>` });
    const dir = await project({ "index.html": index(`<div data-composition-id="x" data-composition-src="link.html"></div>`) });
    await symlink(path.join(outside, "x.html"), path.join(dir, "link.html"));
    const error = await failure(dir);
    expect(error.code).toBe(CompileErrors.COMPOSITION_SRC_INVALID);
    expect(error.message).toMatch(/resolves \(through a symlink\) to .* outside the project/);
  });

  it(`nesting deeper than ${MAX_NESTING_DEPTH} levels aborts naming the chain`, async () => {
    const files: Record<string, string> = { "index.html": index(`<div data-composition-id="l0" data-composition-src="c/l0.html"></div>`) };
    for (let i = 0; i <= MAX_NESTING_DEPTH; i++) files[`c/l${i}.html`] = `<div data-composition-id="l${i}"><div data-composition-id="l${i + 1}" data-composition-src="c/l${i + 1}.html"></div></div>`;
    files[`c/l${MAX_NESTING_DEPTH + 1}.html`] = `<div data-composition-id="end"></div>`;
    const error = await failure(await project(files));
    expect(error.code).toBe(CompileErrors.COMPOSITION_SRC_INVALID);
    expect(error.message).toMatch(new RegExp(`<div data-composition-id="l${MAX_NESTING_DEPTH}"> data-composition-src="c/l${MAX_NESTING_DEPTH}\\.html" in c/l${MAX_NESTING_DEPTH - 1}\\.html: nested more than ${MAX_NESTING_DEPTH} levels deep \\(index\\.html → c/l0\\.html → `));
  });

  it("media inside a host is clipped to the host's window; media starting after it is left out", async () => {
    const dir = await project({
      "index.html": index(
        `<div data-composition-id="h" data-composition-src="c/h.html" data-start="1" data-duration="1"></div>`,
      ),
      "c/h.html": `<div data-composition-id="h"><audio id="a1" src="t.wav" data-start="0.5"></audio><audio id="a2" src="t.wav" data-start="0.2" data-duration="0.3"></audio><audio id="a3" src="t.wav" data-start="1"></audio></div>`,
      "c/t.wav": "",
    });
    const { result } = await compiled(dir);
    expect(result.media.map((m) => [m.id, m.start, m.duration])).toEqual([["a1", 1.5, 0.5], ["a2", 1.2, 0.3]]);
  });

  it("a root that mounts its content from a file takes that file's size", async () => {
    const dir = await project({
      "index.html": `<!doctype html><html><head></head><body><div data-composition-id="main" data-composition-src="c/main.html" data-duration="2"></div></body></html>`,
      "c/main.html": `<div data-composition-id="main" data-width="640" data-height="360"></div>`,
    });
    const { result } = await compiled(dir);
    expect([result.width, result.height, result.durationSec, result.warnings]).toEqual([640, 360, 2, []]);
  });
});
