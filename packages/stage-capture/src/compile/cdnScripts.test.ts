import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isFrameloomError } from "@frameloom/shared-helpers";
import { startFileServer } from "../server/fileServer.js";
import { parseCdnUrl, sameMajor } from "./cdnScripts.js";
import { compileProject } from "./compileProject.js";
import { CompileErrors } from "./errors.js";

let base: string;
beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), "flm-cdn-"));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});
const doc = (head: string): string =>
  `<!doctype html><html><head>${head}</head><body><div data-composition-id="m" data-width="100" data-height="100" data-duration="1"></div></body></html>`;

describe("CDN script URLs", () => {
  it("parses jsdelivr, unpkg, cdnjs and Google URLs", () => {
    expect(parseCdnUrl("https://cdn.jsdelivr.net/npm/gsap@3.12.5/dist/ScrollTrigger.min.js")).toEqual({ pkg: "gsap", version: "3.12.5", file: "dist/ScrollTrigger.min.js", cdnjs: false });
    expect(parseCdnUrl("https://unpkg.com/lottie-web@5")).toEqual({ pkg: "lottie-web", version: "5", file: "", cdnjs: false });
    expect(parseCdnUrl("https://unpkg.com/@scope/x@1.0.0/a.js")?.pkg).toBe("@scope/x");
    expect(parseCdnUrl("https://cdnjs.cloudflare.com/ajax/libs/gsap/3.12.2/gsap.min.js")).toEqual({ pkg: "gsap", version: "3.12.2", file: "gsap.min.js", cdnjs: true });
    expect(parseCdnUrl("https://cdnjs.cloudflare.com/ajax/libs/three.js/r128/three.min.js")?.version).toBe("0.128.0");
    expect(parseCdnUrl("https://cdnjs.cloudflare.com/ajax/libs/jquery/3.7.1/jquery.min.js")).toBeNull();
    expect(parseCdnUrl("https://example.com/gsap.min.js")).toBeNull();
  });
  it("compares majors (0.x: minors)", () => {
    expect(sameMajor("3.12.5", "3.15.0")).toBe(true);
    expect(sameMajor("2", "3.15.0")).toBe(false);
    expect(sameMajor("", "3.15.0")).toBe(true);
    expect(sameMajor("0.128.0", "0.187.0")).toBe(false);
    expect(sameMajor("0.187.1", "0.187.0")).toBe(true);
  });
});

describe("localiseCdnScripts (through compileProject)", () => {
  it("serves gsap and its plugins from the local npm copy, and warns about a major that is not installed", async () => {
    const dir = path.join(base, "p1");
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, "index.html"),
      doc(
        `<script src="https://cdn.jsdelivr.net/npm/gsap@3.12.5/dist/gsap.min.js" integrity="sha384-x" crossorigin="anonymous"></script>` +
          `<script src="https://cdnjs.cloudflare.com/ajax/libs/gsap/3.12.5/ScrollTrigger.min.js"></script>` +
          `<script src="https://unpkg.com/gsap@2.1.3/dist/TweenMax.min.js"></script>`,
      ),
    );
    const out = await compileProject(dir);
    const srcs = [...out.html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
    expect(srcs[0]).toMatch(/^\/__frameloom\/lib\/gsap@3\.\d+\.\d+\/dist\/gsap\.min\.js$/);
    expect(srcs[1]).toMatch(/^\/__frameloom\/lib\/gsap@3\.\d+\.\d+\/dist\/ScrollTrigger\.min\.js$/);
    expect(srcs[2]).toBe("https://unpkg.com/gsap@2.1.3/dist/TweenMax.min.js");
    expect(out.html).not.toContain("integrity");
    expect(out.warnings.join("\n")).toContain("script https://unpkg.com/gsap@2.1.3/dist/TweenMax.min.js comes from a CDN and no local copy of gsap@2 is installed");
    const error = await compileProject(dir, { strict: true }).then(() => null, (e: unknown) => e);
    expect(isFrameloomError(error) && error.code).toBe(CompileErrors.CDN_SCRIPT_UNAVAILABLE);

    const server = await startFileServer({ root: dir, entryUrlPath: "index.html", entryHtml: out.html });
    try {
      const res = await fetch(`${server.origin}${srcs[0]}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("GreenSock");
      expect((await fetch(`${server.origin}/__frameloom/lib/gsap@1.0.0/dist/gsap.min.js`)).status).toBe(404);
      expect((await fetch(`${server.origin}${srcs[0]!.replace("dist/gsap.min.js", "..%2fpackage.json")}`)).status).not.toBe(200);
    } finally {
      await server.close();
    }
  });
});
