import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isFrameloomError } from "@frameloom/shared-helpers";
import { compileProject } from "./compileProject.js";
import { CompileErrors } from "./errors.js";
import { cssValue, isSafeUrl, typeMismatch, VariableIssues, resolveValues } from "./variables.js";
import { testProjects } from "./testProjects.js";

const projects = testProjects("flm-vars-");
afterAll(() => projects.cleanup());
const project = projects.project;

const DECL = JSON.stringify([
  { id: "title", type: "string", default: "Hello" },
  { id: "n", type: "number", default: 2 },
  { id: "on", type: "boolean", default: true },
  { id: "c", type: "color", default: "#112233" },
  { id: "mode", type: "enum", options: [{ value: "a", label: "A" }, { value: "b", label: "B" }], default: "a" },
  { id: "font", type: "font", default: { name: "Inter", source: "google" } },
  { id: "pic", type: "image", default: { url: "img/a.png" } },
]);

const page = (body: string) =>
  `<!doctype html><html data-composition-variables='${DECL}'><head><meta charset="utf-8"><script>var first;</script></head><body>` +
  `<div id="root" data-composition-id="main" data-width="320" data-height="180" data-duration="2" data-fps="24">${body}</div></body></html>`;

describe("typeMismatch", () => {
  it.each([
    ["string", "x", null],
    ["string", 1, /expected a string, got number 1/],
    ["number", 3.5, null],
    ["number", "3", /expected a number, got string "3"/],
    ["boolean", false, null],
    ["boolean", "true", /expected a boolean/],
    ["color", "#abc", null],
    ["color", "rgb(1, 2, 3)", null],
    ["color", "rebeccapurple", null],
    ["color", "#12", /expected a CSS colour/],
    ["font", "Inter", null],
    ["font", { name: "Inter" }, null],
    ["font", { source: "x" }, /expected a font/],
    ["image", { url: "a.png" }, null],
    ["image", 3, /expected an image/],
  ])("%s %j", (type, value, expected) => {
    const result = typeMismatch({ id: "v", type }, value);
    if (expected === null) expect(result).toBeNull();
    else expect(result).toMatch(expected);
  });

  it("enum values must be among the options (objects or plain values)", () => {
    expect(typeMismatch({ id: "m", type: "enum", options: [{ value: "a" }, "b"] }, "b")).toBeNull();
    expect(typeMismatch({ id: "m", type: "enum", options: [{ value: "a" }] }, "z")).toMatch(/expected one of \["a"\], got string "z"/);
  });
});

describe("resolveValues and strict mode", () => {
  it("defaults ⊕ overrides; problems are warnings unless strict, then one error lists them all", () => {
    const warnings: string[] = [];
    const issues = new VariableIssues(false, warnings);
    const values = resolveValues([{ id: "a", type: "number", default: 1 }, { id: "b", type: "string", default: "x" }], { a: "2", zz: true }, "--variables", issues);
    expect(values).toEqual({ a: "2", b: "x", zz: true });
    expect(warnings).toEqual([
      '--variables: variable "a" is declared as number: expected a number, got string "2"',
      '--variables: variable "zz" is not declared (declared: a, b)',
    ]);
    issues.throwIfStrict();
    const strict = new VariableIssues(true, []);
    resolveValues([{ id: "a", type: "number" }], { a: "2", zz: true }, "--variables", strict);
    let error: unknown;
    try {
      strict.throwIfStrict();
    } catch (e) {
      error = e;
    }
    expect(isFrameloomError(error, CompileErrors.VARIABLES_INVALID)).toBe(true);
    expect((error as Error).message).toMatch(/2 variable problem\(s\): .*"a" is declared as number.*; .*"zz" is not declared/);
  });

  it("safe URLs and custom property values", () => {
    for (const ok of ["img/a.png", "/img/a.png", "https://x.test/a.png", "data:image/png;base64,AA", "blob:http://x/1"]) expect(isSafeUrl(ok), ok).toBe(true);
    for (const bad of ["javascript:alert(1)", " JaVa\nscript:x", "file:///etc/passwd", "data:text/html,<b>", "//evil.test/a.png", "vbscript:x"]) expect(isSafeUrl(bad), bad).toBe(false);
    expect(cssValue("red; } body { x: <y>\n")).toBe("red  body  x: y");
  });
});

describe("compileProject with variables", () => {
  it("applies declared defaults: own text only, src, custom properties on the root; a prelude first in <head>", async () => {
    const dir = await project({
      "index.html": page(`<h1 data-var-text="title">old<b>kept</b>text</h1><img data-var-src="pic" src="img/x.png"><p data-var-text="font"></p>`),
      "img/a.png": "",
      "img/x.png": "",
    });
    const r = await compileProject(dir);
    expect(r.html).toContain("<h1 data-var-text=\"title\">Hello<b>kept</b></h1>");
    expect(r.html).toMatch(/<img data-var-src="pic" src="img\/a\.png"[ >]/);
    expect(r.html).toContain('<p data-var-text="font">Inter</p>');
    expect(r.html).toContain('style="--title: Hello; --n: 2; --on: true; --c: #112233; --mode: a; --font: Inter"');
    expect(r.html).toMatch(/<head><meta charset="utf-8"><script data-hf-prelude="">window\.__hfVariables = \{"title":"Hello","n":2,/);
    expect(r.html.indexOf("data-hf-prelude")).toBeLessThan(r.html.indexOf("var first"));
    expect(r.media.map((m) => path.relative(dir, m.path))).toEqual(["img/a.png"]);
    expect(r.warnings).toEqual([]);
  });

  it("overrides win; they cannot change size, duration or fps", async () => {
    const dir = await project({ "index.html": page(`<h1 data-var-text="title">x</h1><div style="color: red" data-composition-id="k" data-variable-values='{"q":1}'></div>`) });
    const r = await compileProject(dir, { variables: { title: "World", "data-width": 10, duration: 9 } });
    expect(r.html).toContain(">World</h1>");
    expect([r.width, r.height, r.durationSec, r.fps]).toEqual([320, 180, 2, { num: 24, den: 1 }]);
    expect(r.html).toContain('window.__hfVariablesByComp = {"k":{"q":1}}');
    // an inline host with values gets its own custom properties
    expect(r.html).toContain('<div style="color: red; --q: 1" data-composition-id="k"');
  });

  it("strict: undeclared names and type mismatches (top level and per instance) fail naming each", async () => {
    const dir = await project({
      "index.html": page(`<div id="h" data-composition-id="card" data-composition-src="c/card.html" data-variable-values='{"label":5,"extra":"x"}'></div>`),
      "c/card.html": `<html data-composition-variables='[{"id":"label","type":"string","default":"?"}]'><body><div data-composition-id="card"><span data-var-text="label"></span></div></body></html>`,
    });
    const error = await compileProject(dir, { strictVariables: true, variables: { nope: 1, n: "two", mode: "c" } }).then(
      () => null,
      (e: unknown) => e as Error & { code: string },
    );
    expect(error?.code).toBe(CompileErrors.VARIABLES_INVALID);
    const msg = error!.message;
    expect(msg).toContain('--variables: variable "nope" is not declared');
    expect(msg).toContain('--variables: variable "n" is declared as number: expected a number, got string "two"');
    expect(msg).toContain('--variables: variable "mode" is declared as enum: expected one of ["a","b"], got string "c"');
    expect(msg).toContain('c/card.html (mounted as "card") data-variable-values: variable "label" is declared as string');
    expect(msg).toContain('c/card.html (mounted as "card") data-variable-values: variable "extra" is not declared (declared: label)');
  });

  it("per instance: each mount gets its defaults ⊕ its data-variable-values; data-var-src refuses unsafe URLs", async () => {
    const dir = await project({
      "index.html": page(
        `<div data-composition-id="card" data-composition-src="c/card.html" data-variable-values='{"label":"One"}'></div>` +
          `<div data-composition-id="card" data-composition-src="c/card.html" data-variable-values='{"label":"Two","pic":"javascript:alert(1)"}'></div>`,
      ),
      "c/card.html": `<html data-composition-variables='[{"id":"label","type":"string","default":"?"},{"id":"pic","type":"image","default":"ok.png"}]'><body><div data-composition-id="card"><span data-var-text="label"></span><img data-var-src="pic"></div></body></html>`,
      "ok.png": "",
    });
    const r = await compileProject(dir);
    expect(r.html).toMatch(/data-composition-id="card"[^>]*--label: One[^>]*>.*<span data-var-text="label">One<\/span><img data-var-src="pic" src="ok.png"[ >]/s);
    expect(r.html).toMatch(/data-composition-id="card__hf1"[^>]*--label: Two[^>]*>.*<span data-var-text="label">Two<\/span><img data-var-src="pic">/s);
    expect(r.html).toContain('"card":{"label":"One","pic":"ok.png"},"card__hf1":{"label":"Two","pic":"javascript:alert(1)"}');
    expect(r.warnings).toEqual([expect.stringMatching(/data-var-src="pic" value "javascript:alert\(1\)" is refused/)]);
  });

  it("no variables and no sub-compositions: the document gets no prelude", async () => {
    const dir = await project({ "index.html": `<div data-composition-id="m" data-width="10" data-height="10" data-duration="1"></div>` });
    expect((await compileProject(dir)).html).not.toContain("data-hf-prelude");
  });
});
