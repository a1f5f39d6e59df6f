import { afterAll, describe, expect, it } from "vitest";
import { isFrameloomError } from "@frameloom/shared-helpers";
import { startFileServer } from "../server/fileServer.js";
import { compileProject } from "./compileProject.js";
import { CompileErrors } from "./errors.js";
import { googleFontFamilies, parseFamilyList, rewriteFontDeclarations, splitFontShorthand } from "./fontCss.js";
import type { FontResolution } from "./fonts.js";
import { testProjects } from "./testProjects.js";

const projects = testProjects("flm-fonts-");
afterAll(() => projects.cleanup());
const project = projects.project;
const doc = (head: string, body = ""): string =>
  `<!doctype html><html><head><meta charset="utf-8">${head}</head><body><div data-composition-id="m" data-width="100" data-height="100" data-duration="1">${body}</div></body></html>`;

async function fontsOf(dir: string, strict = false): Promise<{ fonts: FontResolution[]; html: string; warnings: string[] }> {
  let fonts: FontResolution[] = [];
  const out = await compileProject(dir, { strict, onFonts: (f) => (fonts = f) });
  return { fonts, html: out.html, warnings: out.warnings };
}

describe("font CSS tokenizer", () => {
  it("splits family lists and font shorthands", () => {
    expect(parseFamilyList(`"Inter", system-ui, 'Open Sans' , sans-serif`).map((i) => [i.name, i.bare])).toEqual([
      ["Inter", false], ["system-ui", true], ["Open Sans", false], ["sans-serif", true],
    ]);
    expect(splitFontShorthand(`italic 700 48px/1.2 "Inter", sans-serif`)).toEqual({ head: "italic 700 48px/1.2", families: `"Inter", sans-serif` });
    expect(splitFontShorthand(`600 2rem / 1 Poppins`)).toEqual({ head: "600 2rem / 1", families: "Poppins" });
    expect(splitFontShorthand("caption")).toBeNull();
    expect(splitFontShorthand("inherit")).toBeNull();
  });
  it("rewrites declarations, leaves @font-face, comments, var() and sizes alone", () => {
    const css = `@font-face{font-family:"X";src:url(x.woff2)} /* font-family: serif */ a{font-family:serif;font-size:12px} b{font:bold 12px monospace !important} c{font-family:var(--f)} :root{--font-sans: Inter, sans-serif; --font-size: 12px}`;
    const out = rewriteFontDeclarations(css, (f) => `[${f}]`);
    expect(out).toContain(`@font-face{font-family:"X";src:url(x.woff2)}`);
    expect(out).toContain("/* font-family: serif */");
    expect(out).toContain("a{font-family:[serif];font-size:12px}");
    expect(out).toContain("b{font:bold 12px [monospace] !important}");
    expect(out).toContain("c{font-family:var(--f)}");
    expect(out).toContain("--font-sans: [Inter, sans-serif];");
    expect(out).toContain("--font-size: 12px");
  });
  it("reads Google Fonts URLs", () => {
    expect(googleFontFamilies("https://fonts.googleapis.com/css2?family=Inter:wght@400;700&family=Open+Sans:ital@1&display=swap")).toEqual(["Inter", "Open Sans"]);
    expect(googleFontFamilies("https://fonts.googleapis.com/css?family=Roboto|Lato:400,700")).toEqual(["Roboto", "Lato"]);
  });
});

describe("resolveDocumentFonts (through compileProject)", () => {
  it("maps a primary generic to its fixed bundled family, ends unresolved lists with Inter, and injects the faces first", async () => {
    const dir = await project({
      "index.html": doc(
        `<style>h1{font-family:"Inter",system-ui,sans-serif} code{font:12px monospace} p{font-family:Georgia,serif} i{font-family:"Nope",serif} u{font-family:Nope}</style>`,
        `<b style="font-family: system-ui, sans-serif">x</b>`,
      ),
    });
    const { fonts, html, warnings } = await fontsOf(dir);
    expect(html).toContain(`h1{font-family:"Inter",system-ui,sans-serif}`);
    expect(html).toContain(`code{font:12px "JetBrains Mono"}`);
    expect(html).toContain(`p{font-family:Georgia,serif}`);
    expect(html).toContain(`i{font-family:"Nope", "Noto Serif"}`);
    expect(html).toContain(`u{font-family:Nope, "Inter"}`);
    expect(html).toContain(`style="font-family: &quot;Inter&quot;, sans-serif"`);
    expect(html.indexOf("data-frameloom-fonts")).toBeLessThan(html.indexOf(`h1{font-family`));
    expect(html).toMatch(/@font-face\{font-family:"Inter";font-style:normal;font-weight:400;font-display:block;src:url\(\/__frameloom\/fonts\/inter\/inter-latin-400-normal\.woff2\)/);
    expect(html).toContain(`@font-face{font-family:"Georgia";font-style:normal;font-weight:400`);
    expect(html).toContain(`:where(html){font-family:"Noto Serif"}`);
    expect(Object.fromEntries(fonts.map((f) => [f.family, `${f.source}:${f.resolvedTo}`]))).toEqual({
      Georgia: "alias:EB Garamond", Inter: "bundled:Inter", monospace: "generic:JetBrains Mono", Nope: "unresolved:",
      "sans-serif": "generic:Inter", serif: "generic:Noto Serif", "system-ui": "generic:Inter",
    });
    expect(warnings).toEqual([`font family "Nope" (index.html) is neither in the project's @font-face rules nor a bundled family: add an @font-face with a local file (see \`frameloom fonts\`)`]);
  });
  it("prefers the project's own @font-face, even over a bundled name", async () => {
    const dir = await project({ "index.html": doc(`<style>@font-face{font-family:"Inter";src:url(mine.woff2)} h1{font-family:Inter}</style>`) });
    const { fonts, html } = await fontsOf(dir);
    expect(fonts.find((f) => f.family === "Inter")?.source).toBe("project");
    expect(html).toContain("src:url(mine.woff2)");
  });
  it("rewrites Google Fonts links and @imports to the local faces", async () => {
    const dir = await project({
      "index.html": doc(
        `<link rel="preconnect" href="https://fonts.gstatic.com"><link href="https://fonts.googleapis.com/css2?family=Poppins:wght@600&amp;display=swap" rel="stylesheet"><style>@import url("https://fonts.googleapis.com/css2?family=Roboto");h1{font-family:Poppins}</style>`,
      ),
    });
    const { fonts, html } = await fontsOf(dir);
    expect(html).not.toContain("googleapis");
    expect(html).not.toContain("gstatic");
    expect(html).toContain(`@font-face{font-family:"Poppins";font-style:normal;font-weight:600`);
    expect(html).toContain(`@font-face{font-family:"Roboto"`);
    expect(fonts.find((f) => f.family === "Roboto")?.where).toEqual(["Google Fonts"]);
  });
  it("warns about a family nothing resolves, and fails with strict", async () => {
    const dir = await project({ "index.html": doc(`<style>h1{font-family:"Nope Grotesk",sans-serif}</style>`) });
    const { warnings, fonts } = await fontsOf(dir);
    expect(fonts.find((f) => f.family === "Nope Grotesk")?.source).toBe("unresolved");
    expect(warnings.join("\n")).toContain(`font family "Nope Grotesk" (index.html)`);
    const error = await fontsOf(dir, true).then(() => null, (e: unknown) => e);
    expect(isFrameloomError(error) && error.code).toBe(CompileErrors.FONT_UNRESOLVED);
  });
});

describe("file server: /__frameloom/fonts/", () => {
  it("serves bundled font files and nothing else there", async () => {
    const dir = await project({ "index.html": doc("") });
    const server = await startFileServer({ root: dir, entryUrlPath: "index.html", entryHtml: "x" });
    try {
      const ok = await fetch(`${server.origin}/__frameloom/fonts/inter/inter-latin-700-normal.woff2`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("content-type")).toBe("font/woff2");
      expect((await ok.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
      for (const bad of ["inter/../package.json", "inter/roboto-latin-400-normal.woff2", "nope/nope-latin-400-normal.woff2", "inter/inter-latin-400-normal.woff", "x"]) {
        expect((await fetch(`${server.origin}/__frameloom/fonts/${bad}`)).status, bad).not.toBe(200);
      }
    } finally {
      await server.close();
    }
  });
});
