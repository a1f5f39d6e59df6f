/**
 * Asset paths of an inlined sub-composition file (COMPOSITION.md §2.4 "Asset paths"): the compiled
 * document is served at the project root, so a relative path written in `compositions/x.html` is
 * rewritten to the project-relative path it means. `../x` resolves against the file's directory; a
 * plain relative path resolves against the file's directory if that file exists there, else it stays
 * project-relative. Stylesheet files follow the browser's rule (always against the stylesheet).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { rewriteCssUrls } from "./cssScope.js";
import { attr, childrenOf, isElement, setAttr, type Element, type Node } from "./tree.js";

export interface PathContext {
  projectDir: string;
  /** Directory of the file the markup (or stylesheet) was written in. */
  fileDir: string;
  /** Stylesheet rule: always resolve against `fileDir` (no existence test). */
  always?: boolean;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Whether a URL is a relative path this rewrite is about (not absolute, not a scheme, not a fragment). */
export function isRelativePath(url: string): boolean {
  const text = url.trim();
  return text !== "" && !SCHEME.test(text) && !/^[/#?{\\]/.test(text);
}

/** The project-relative form of `url` written in a file of `ctx.fileDir`. */
export function rewriteAssetUrl(url: string, ctx: PathContext): string {
  if (!isRelativePath(url)) return url;
  const fileDir = path.resolve(ctx.fileDir);
  const projectDir = path.resolve(ctx.projectDir);
  if (fileDir === projectDir) return url;
  const text = url.trim();
  const split = /^([^?#]*)(.*)$/s.exec(text)!;
  const pathname = split[1]!;
  const suffix = split[2]!;
  const parent = pathname === ".." || pathname.startsWith("../") || pathname.startsWith("./../");
  const local = path.resolve(fileDir, safeDecode(pathname));
  if (!ctx.always && !parent && !existsSync(local)) return url;
  const relDir = path.relative(projectDir, fileDir).split(path.sep).map(encodeURIComponent).join("/");
  const joined = path.posix.normalize(path.posix.join(relDir, pathname));
  return (joined === "." ? "" : joined) + (pathname.endsWith("/") && !joined.endsWith("/") ? "/" : "") + suffix;
}

function rewriteSrcset(value: string, ctx: PathContext): string {
  return value
    .split(",")
    .map((candidate) => {
      const m = /^(\s*)(\S+)(.*)$/s.exec(candidate);
      return m ? `${m[1]}${rewriteAssetUrl(m[2]!, ctx)}${m[3]}` : candidate;
    })
    .join(",");
}

const URL_ATTRS = ["src", "href", "poster", "xlink:href"];

/** Rewrites the asset paths of `el` and its descendants in place (attributes, style attributes, `<style>` text). */
export function rewriteAssetPaths(node: Node, ctx: PathContext): void {
  if (path.resolve(ctx.fileDir) === path.resolve(ctx.projectDir)) return;
  const visit = (n: Node): void => {
    if (isElement(n)) rewriteElement(n, ctx);
    for (const child of childrenOf(n)) visit(child);
  };
  visit(node);
}

function rewriteElement(el: Element, ctx: PathContext): void {
  for (const name of URL_ATTRS) {
    const value = attr(el, name);
    if (value === null) continue;
    // <a href> navigates, it loads nothing.
    if (name === "href" && el.tagName === "a") continue;
    const next = rewriteAssetUrl(value, ctx);
    if (next !== value) setAttr(el, name, next);
  }
  const srcset = attr(el, "srcset");
  if (srcset !== null) setAttr(el, "srcset", rewriteSrcset(srcset, ctx));
  const style = attr(el, "style");
  if (style !== null && /url\(/i.test(style)) setAttr(el, "style", rewriteCssUrls(style, (u) => rewriteAssetUrl(u, ctx)));
  if (el.tagName === "style") {
    for (const child of el.childNodes) {
      if (child.nodeName === "#text") {
        const text = child as unknown as { value: string };
        text.value = rewriteCssUrls(text.value, (u) => rewriteAssetUrl(u, ctx));
      }
    }
  }
}
