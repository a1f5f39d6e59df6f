/**
 * Fonts, offline and deterministic (docs/capture.md, "Fonts"). Every family the compiled document
 * names (`<style>` elements, `style` attributes, inlined sub-compositions, Google Fonts links and
 * imports) resolves, in this order, to:
 *
 * 1. the project's own `@font-face` (any stylesheet in the document, or a local linked one);
 * 2. a bundled family (an `@fontsource/*` package of @frameloom/stage-capture: the families
 *    HyperFrames embeds, plus Noto Sans / Serif / Sans Mono), served by the file server under
 *    `/__frameloom/fonts/<slug>/<file>.woff2` (latin subset, every weight and italic the package has);
 * 3. an alias of one (HyperFrames' map: Helvetica, Arial → Inter, Courier New → JetBrains Mono, …),
 *    declared as an `@font-face` of that name over the bundled files;
 * 4. a generic family (`sans-serif`, `system-ui`, `serif`, `monospace`, …): rewritten in the CSS
 *    text to its fixed bundled family (GENERIC_FAMILIES), so no host font is ever picked by name.
 *
 * Every list also ends with its fixed family, so a glyph no listed font has falls back to the same
 * bundled face on every host (only glyphs no bundled font covers reach the host's fonts). Google
 * Fonts `<link>`s and `@import`s are removed; the families they asked for resolve like the rest.
 * A family none of these resolves is a warning naming it (FLM_ERR_COMPILE_FONT_UNRESOLVED with
 * `strict`). An injected script starts loading every `@font-face` of the page at once, so
 * `document.fonts.ready` (which the runtime waits for before frame 0) covers them all.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { defaultTreeAdapter, html as htmlNs } from "parse5";
import { FrameloomError } from "@frameloom/shared-helpers";
import { CompileErrors } from "./errors.js";
import { fontDeclarations, fontFaceFamilies, googleFontFamilies, parseFamilyList, removeGoogleImports, rewriteFontDeclarations } from "./fontCss.js";
import { allElements, attr, ownText, setAttr, type Element, type Node } from "./tree.js";

/** Bundled families: slug (the `@fontsource/<slug>` package) → family name. */
export const BUNDLED_FAMILIES: Readonly<Record<string, string>> = {
  inter: "Inter",
  montserrat: "Montserrat",
  outfit: "Outfit",
  nunito: "Nunito",
  oswald: "Oswald",
  "league-gothic": "League Gothic",
  "archivo-black": "Archivo Black",
  "space-mono": "Space Mono",
  "ibm-plex-mono": "IBM Plex Mono",
  "jetbrains-mono": "JetBrains Mono",
  "eb-garamond": "EB Garamond",
  "playfair-display": "Playfair Display",
  "source-code-pro": "Source Code Pro",
  roboto: "Roboto",
  "open-sans": "Open Sans",
  lato: "Lato",
  poppins: "Poppins",
  "noto-sans": "Noto Sans",
  "noto-serif": "Noto Serif",
  "noto-sans-mono": "Noto Sans Mono",
};

/** Well-known names served by a bundled family (HyperFrames' alias map, less the ones bundled here). */
export const FONT_ALIASES: Readonly<Record<string, string>> = {
  "helvetica neue": "inter", helvetica: "inter", arial: "inter", "helvetica bold": "inter",
  futura: "montserrat", "din alternate": "montserrat", "arial black": "montserrat",
  "bebas neue": "league-gothic", "courier new": "jetbrains-mono", courier: "jetbrains-mono", garamond: "eb-garamond",
  "segoe ui": "roboto", "-apple-system": "inter", blinkmacsystemfont: "inter",
  "sf pro": "inter", "sf pro display": "inter", "sf pro text": "inter", "sf pro rounded": "inter", avenir: "inter",
  "avenir next": "inter", "lucida grande": "inter", geneva: "inter", optima: "inter", verdana: "inter", tahoma: "inter",
  "trebuchet ms": "inter", calibri: "inter", candara: "inter", corbel: "inter", "lucida sans": "inter",
  "lucida sans unicode": "inter", "dejavu sans": "inter", "liberation sans": "inter",
  "sf mono": "jetbrains-mono", menlo: "jetbrains-mono", monaco: "jetbrains-mono", consolas: "jetbrains-mono",
  "lucida console": "jetbrains-mono", "lucida sans typewriter": "jetbrains-mono", "andale mono": "jetbrains-mono",
  "dejavu sans mono": "jetbrains-mono", "liberation mono": "jetbrains-mono",
  georgia: "eb-garamond", palatino: "eb-garamond", "palatino linotype": "eb-garamond", "book antiqua": "eb-garamond",
  cambria: "eb-garamond", times: "eb-garamond", "times new roman": "eb-garamond", "dejavu serif": "eb-garamond",
  "liberation serif": "eb-garamond",
};

/** Generic families (CSS keywords, unquoted) → the fixed bundled family they render in. */
export const GENERIC_FAMILIES: Readonly<Record<string, string>> = {
  "sans-serif": "inter", "system-ui": "inter", "ui-sans-serif": "inter", "ui-rounded": "inter", cursive: "inter",
  fantasy: "inter", math: "noto-serif", serif: "noto-serif", "ui-serif": "noto-serif", fangsong: "noto-serif",
  monospace: "jetbrains-mono", "ui-monospace": "jetbrains-mono",
};
const IGNORED = new Set(["emoji", "inherit", "initial", "unset", "revert", "revert-layer"]);

/** A page with no font-family at all renders in this (Chromium's own default is a host serif). */
export const DEFAULT_FAMILY = "noto-serif";

export const FONT_URL_PREFIX = "/__frameloom/fonts/";

export type FontSource = "project" | "bundled" | "alias" | "generic" | "unresolved";

export interface FontResolution {
  /** As the page names it. */
  family: string;
  source: FontSource;
  /** The family that renders it ("" when unresolved). */
  resolvedTo: string;
  /** Where it was named: files relative to the project, or "Google Fonts". */
  where: string[];
}

export interface FontOptions {
  projectDir: string;
  entryFile: string;
  strict: boolean;
  warnings: string[];
  /** The file each element came from (sub-compositions), for messages. */
  fileOf?(el: Element): string | undefined;
}

const FILE_RE = /^([a-z0-9-]+)-latin-(\d+)-(normal|italic)\.woff2$/;
const require = createRequire(import.meta.url);

/** The package directory of a bundled family; null when it is not installed. */
export function bundledFontDir(slug: string): string | null {
  if (!Object.hasOwn(BUNDLED_FAMILIES, slug)) return null;
  try {
    return path.dirname(require.resolve(`@fontsource/${slug}/package.json`));
  } catch {
    return null;
  }
}

/** Whether `file` is a face the file server may serve for `slug`. */
export function isBundledFontFile(slug: string, file: string): boolean {
  const m = FILE_RE.exec(file);
  return m !== null && m[1] === slug;
}

/** `@font-face` rules for `family` over the bundled files of `slug` (every weight and style). */
export function fontFaceRules(family: string, slug: string): string {
  const dir = bundledFontDir(slug);
  if (!dir) return "";
  const files = readdirSync(path.join(dir, "files")).filter((f) => isBundledFontFile(slug, f)).sort();
  return files
    .map((f) => {
      const [, , weight, style] = FILE_RE.exec(f)!;
      return `@font-face{font-family:${JSON.stringify(family)};font-style:${style};font-weight:${weight};font-display:block;src:url(${FONT_URL_PREFIX}${slug}/${f}) format("woff2")}`;
    })
    .join("\n");
}

const bundledByName = new Map(Object.entries(BUNDLED_FAMILIES).map(([slug, name]) => [name.toLowerCase(), slug]));

/** Resolves, rewrites and injects the document's fonts; returns what each family resolved to. */
export function resolveDocumentFonts(document: Node, options: FontOptions): FontResolution[] {
  const elements = allElements(document);
  const styles = elements.filter((el) => el.tagName === "style");
  const where = (el: Element): string => path.relative(options.projectDir, options.fileOf?.(el) ?? options.entryFile) || path.basename(options.entryFile);
  const named = new Map<string, { family: string; where: Set<string> }>();
  const note = (family: string, at: string): void => {
    const key = family.toLowerCase();
    const entry = named.get(key) ?? { family, where: new Set<string>() };
    entry.where.add(at);
    named.set(key, entry);
  };

  // Google Fonts: links and @imports go; their families resolve like any other.
  for (const el of elements) {
    const href = attr(el, "href") ?? "";
    if (el.tagName !== "link" || !/^https?:\/\/fonts\.(googleapis|gstatic)\.com(\/|$)/i.test(href)) continue;
    for (const family of googleFontFamilies(href)) note(family, "Google Fonts");
    defaultTreeAdapter.detachNode(el);
  }
  for (const el of styles) {
    const { css, urls } = removeGoogleImports(ownText(el));
    if (urls.length === 0) continue;
    for (const url of urls) for (const family of googleFontFamilies(url)) note(family, "Google Fonts");
    setText(el, css);
  }

  // 1. The project's own faces (inline styles, local linked stylesheets).
  const own = new Set<string>();
  for (const el of styles) for (const f of fontFaceFamilies(ownText(el))) own.add(f.toLowerCase());
  for (const css of linkedStylesheets(elements, options.projectDir)) {
    for (const f of fontFaceFamilies(css)) own.add(f.toLowerCase());
    for (const d of fontDeclarations(css)) for (const item of parseFamilyList(d.families)) if (!item.bare || !isGeneric(item.name)) note(item.name, "stylesheet");
  }

  const usedSlugs = new Set<string>();
  const aliasFaces = new Map<string, string>();
  // A generic that comes first (before any family that resolves) becomes its fixed family; one
  // after a resolved family only serves glyphs that family lacks and is left as written (as
  // HyperFrames does); a list where nothing resolves gets Inter appended.
  const rewriteList = (families: string, at: string): string => {
    const out: string[] = [];
    let resolved = false;
    let changed = false;
    for (const item of parseFamilyList(families)) {
      const key = item.name.toLowerCase();
      if (item.bare && IGNORED.has(key)) {
        out.push(item.raw);
        continue;
      }
      note(item.name, at);
      if (item.bare && Object.hasOwn(GENERIC_FAMILIES, key)) {
        if (resolved) {
          out.push(item.raw);
          continue;
        }
        const slug = GENERIC_FAMILIES[key]!;
        usedSlugs.add(slug);
        out.push(JSON.stringify(BUNDLED_FAMILIES[slug]));
        resolved = changed = true;
        continue;
      }
      const slug = own.has(key) ? null : (bundledByName.get(key) ?? FONT_ALIASES[key] ?? null);
      if (slug) usedSlugs.add(slug);
      if (slug || own.has(key)) resolved = true;
      out.push(item.raw);
    }
    if (!resolved) {
      out.push(JSON.stringify(BUNDLED_FAMILIES.inter));
      usedSlugs.add("inter");
      changed = true;
    }
    if (!changed) return families;
    const seen = new Set<string>();
    return out.filter((s) => {
      const k = s.replace(/^["']|["']$/g, "").toLowerCase();
      return seen.has(k) ? false : (seen.add(k), true);
    }).join(", ");
  };
  for (const el of styles) {
    const text = ownText(el);
    const next = rewriteFontDeclarations(text, (families) => rewriteList(families, where(el)));
    if (next !== text) setText(el, next);
  }
  for (const el of elements) {
    const style = attr(el, "style");
    if (style === null || !/font/i.test(style)) continue;
    const next = rewriteFontDeclarations(style, (families) => rewriteList(families, where(el)));
    if (next !== style) setAttr(el, "style", next);
  }

  // Resolve every family named.
  const resolutions: FontResolution[] = [];
  for (const [key, { family, where: at }] of named) {
    const list = [...at].sort();
    let source: FontSource;
    let slug: string | null = null;
    if (Object.hasOwn(GENERIC_FAMILIES, key)) {
      source = "generic";
      slug = GENERIC_FAMILIES[key]!;
    } else if (own.has(key)) source = "project";
    else if (bundledByName.has(key)) {
      source = "bundled";
      slug = bundledByName.get(key)!;
    } else if (Object.hasOwn(FONT_ALIASES, key)) {
      source = "alias";
      slug = FONT_ALIASES[key]!;
      aliasFaces.set(family, slug);
    } else source = "unresolved";
    if (slug && !bundledFontDir(slug)) source = "unresolved";
    if (slug && source !== "unresolved") usedSlugs.add(slug);
    resolutions.push({ family, source, resolvedTo: source === "project" ? family : slug && source !== "unresolved" ? BUNDLED_FAMILIES[slug]! : "", where: list });
  }
  resolutions.sort((a, b) => a.family.localeCompare(b.family));
  const unresolved = resolutions.filter((r) => r.source === "unresolved");
  for (const r of unresolved) {
    const message =
      `font family "${r.family}" (${r.where.join(", ")}) is neither in the project's @font-face rules nor a bundled family: ` +
      `add an @font-face with a local file (see \`frameloom fonts\`)`;
    if (options.strict) throw new FrameloomError(CompileErrors.FONT_UNRESOLVED, `--strict: ${message}`, { details: { family: r.family } });
    options.warnings.push(message);
  }

  // Inject the faces (before the page's own styles, so the page's own rules win) and the loader.
  usedSlugs.add(DEFAULT_FAMILY);
  const rules = [...usedSlugs].sort().map((slug) => fontFaceRules(BUNDLED_FAMILIES[slug]!, slug));
  for (const [family, slug] of [...aliasFaces].sort()) rules.push(fontFaceRules(family, slug));
  rules.push(`:where(html){font-family:${JSON.stringify(BUNDLED_FAMILIES[DEFAULT_FAMILY])}}`);
  injectHead(document, rules.filter(Boolean).join("\n"));
  return resolutions;
}

function isGeneric(name: string): boolean {
  return Object.hasOwn(GENERIC_FAMILIES, name.toLowerCase()) || IGNORED.has(name.toLowerCase());
}

/** Local stylesheets the document links (for their @font-face names and families). */
function linkedStylesheets(elements: Element[], projectDir: string): string[] {
  const out: string[] = [];
  for (const el of elements) {
    if (el.tagName !== "link" || !/\bstylesheet\b/i.test(attr(el, "rel") ?? "")) continue;
    const href = (attr(el, "href") ?? "").replace(/[?#].*$/s, "");
    if (href === "" || /^[a-z][\w+.-]*:/i.test(href) || href.startsWith("//")) continue;
    let file: string;
    try {
      file = path.join(projectDir, decodeURIComponent(href));
    } catch {
      continue;
    }
    if (path.relative(projectDir, file).startsWith("..") || !existsSync(file)) continue;
    try {
      out.push(readFileSync(file, "utf8"));
    } catch {
      // unreadable: the page gets a 404 and the guard reports nothing
    }
  }
  return out;
}

function setText(el: Element, text: string): void {
  for (const child of el.childNodes.slice()) defaultTreeAdapter.detachNode(child);
  defaultTreeAdapter.insertText(el, text);
}

/** Loads every face of the page at once: `document.fonts.ready` then waits for them all. */
const LOADER = `(function(){function go(){if(!document.fonts)return;document.fonts.forEach(function(f){if(f.status==="unloaded")f.load().catch(function(){});});}go();document.addEventListener("DOMContentLoaded",go);})();`;

function injectHead(document: Node, css: string): void {
  const head = allElements(document).find((el) => el.tagName === "head");
  if (!head) return;
  const style = defaultTreeAdapter.createElement("style", htmlNs.NS.HTML, [{ name: "data-frameloom-fonts", value: "" }]);
  defaultTreeAdapter.insertText(style, css);
  const script = defaultTreeAdapter.createElement("script", htmlNs.NS.HTML, [{ name: "data-frameloom-fonts", value: "" }]);
  defaultTreeAdapter.insertText(script, LOADER);
  // After the prelude and <meta charset>, before the page's own styles.
  const firstStyle = head.childNodes.find((n) => "tagName" in n && (n.tagName === "style" || n.tagName === "link" || (n.tagName === "script" && attr(n, "data-hf-prelude") === null)));
  if (firstStyle) {
    defaultTreeAdapter.insertBefore(head, style, firstStyle);
    defaultTreeAdapter.insertBefore(head, script, firstStyle);
  } else {
    defaultTreeAdapter.appendChild(head, style);
    defaultTreeAdapter.appendChild(head, script);
  }
}
