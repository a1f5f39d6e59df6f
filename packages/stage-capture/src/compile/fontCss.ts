/**
 * A small tokenizer for the font parts of CSS text (fonts.ts): `@font-face` family names,
 * `font-family` / `font` declarations and `--*font*` custom properties, and Google Fonts `@import`s.
 * Not a CSS parser: strings and comments are respected, nothing else is interpreted.
 */

export interface FamilyItem {
  /** As written (quotes kept, trimmed). */
  raw: string;
  /** Unquoted, whitespace collapsed. */
  name: string;
  /** Unquoted identifier: a generic keyword can only be written this way. */
  bare: boolean;
}

/** Splits a family list at top-level commas. */
export function parseFamilyList(value: string): FamilyItem[] {
  const items: string[] = [];
  let current = "";
  let quote: string | null = null;
  for (const ch of value) {
    if (quote) {
      current += ch;
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      current += ch;
    } else if (ch === ",") {
      items.push(current);
      current = "";
    } else current += ch;
  }
  items.push(current);
  return items
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((raw) => {
      const quoted = /^(["']).*\1$/s.test(raw);
      const name = (quoted ? raw.slice(1, -1) : raw).replace(/\\(.)/g, "$1").replace(/\s+/g, " ").trim();
      return { raw, name, bare: !quoted };
    });
}

/** Family names declared by `@font-face` rules in the CSS. */
export function fontFaceFamilies(css: string): string[] {
  const out: string[] = [];
  for (const block of stripComments(css).matchAll(/@font-face\s*\{([^}]*)\}/gi)) {
    const m = /font-family\s*:\s*([^;]+)/i.exec(block[1] ?? "");
    const first = m ? parseFamilyList(m[1]!)[0] : undefined;
    if (first) out.push(first.name);
  }
  return out;
}

const SIZE_TOKEN = /^(?:[\d.]+(?:px|em|rem|%|pt|pc|cm|mm|in|q|ex|ch|vw|vh|vmin|vmax|cqw|cqh|lh|rlh)?|xx-small|x-small|small|medium|large|x-large|xx-large|xxx-large|larger|smaller|(?:calc|clamp|min|max|var)\(.*\))(?:\/.*)?$/i;
const SYSTEM_FONTS = new Set(["caption", "icon", "menu", "message-box", "small-caption", "status-bar", "inherit", "initial", "unset", "revert", "revert-layer"]);

/**
 * Splits a `font:` shorthand value into the part before the family list and the list itself;
 * null when it has none (a system font keyword, a CSS-wide keyword, a var()).
 */
export function splitFontShorthand(value: string): { head: string; families: string } | null {
  const text = value.trim();
  if (SYSTEM_FONTS.has(text.toLowerCase()) || /^var\(/i.test(text)) return null;
  // Tokens up to the first top-level comma or quote: the size is the last size-like one.
  const firstBreak = text.search(/[,"']/);
  const lead = firstBreak === -1 ? text : text.slice(0, firstBreak);
  const tokens = [...lead.matchAll(/\S+/g)];
  let sizeEnd = -1;
  for (const t of tokens) if (SIZE_TOKEN.test(t[0])) sizeEnd = (t.index ?? 0) + t[0].length;
  if (sizeEnd === -1) return null;
  // "16px / 1.2 Inter": a spaced line-height.
  const after = text.slice(sizeEnd);
  const lh = /^\s*\/\s*[^\s,"']+/.exec(after);
  const cut = sizeEnd + (lh ? lh[0].length : 0);
  const families = text.slice(cut).trim();
  return families === "" ? null : { head: text.slice(0, cut).trimEnd(), families };
}

export interface FontDeclaration {
  property: string;
  /** The family list (for `font:` the part after the size). */
  families: string;
}

/**
 * Rewrites every family list in declarations of the CSS text (outside `@font-face` blocks and comments):
 * `font-family`, the `font` shorthand, and custom properties whose name holds "font" and whose value
 * reads as a family list. `rewrite` returns the new list (or the same text).
 */
export function rewriteFontDeclarations(css: string, rewrite: (families: string, property: string) => string): string {
  const segments = splitProtected(css);
  return segments
    .map((seg) =>
      seg.protected
        ? seg.text
        : seg.text.replace(/(^|[{;\s])(font-family|font|--[\w-]*font[\w-]*)(\s*:\s*)([^;{}]*)/gi, (all, pre: string, prop: string, colon: string, rawValue: string) => {
            const important = /\s*!important\s*$/i.exec(rawValue);
            const value = important ? rawValue.slice(0, important.index) : rawValue;
            const tail = important ? important[0] : "";
            const trailing = /\s*$/.exec(value)![0];
            const body = value.slice(0, value.length - trailing.length);
            const lower = prop.toLowerCase();
            if (body.trim() === "" || /var\(/i.test(body)) return all;
            if (lower === "font") {
              const split = splitFontShorthand(body);
              if (!split) return all;
              return `${pre}${prop}${colon}${split.head} ${rewrite(split.families, lower)}${trailing}${tail}`;
            }
            if (lower.startsWith("--")) {
              if (/size|weight|style|variant|feature|stretch|width|height|scale/i.test(lower)) return all;
              if (!looksLikeFamilyList(body)) return all;
            } else if (/^(inherit|initial|unset|revert|revert-layer)$/i.test(body.trim())) return all;
            return `${pre}${prop}${colon}${rewrite(body, lower)}${trailing}${tail}`;
          }),
    )
    .join("");
}

/** Every family list the CSS declares (same rules as rewriteFontDeclarations). */
export function fontDeclarations(css: string): FontDeclaration[] {
  const out: FontDeclaration[] = [];
  rewriteFontDeclarations(css, (families, property) => {
    out.push({ property, families });
    return families;
  });
  return out;
}

function looksLikeFamilyList(value: string): boolean {
  const text = value.trim();
  if (/^[\d.#(]/.test(text) || /^(bold|normal|italic|lighter|bolder)$/i.test(text)) return false;
  return parseFamilyList(text).every((i) => !i.bare || /^-?[a-z][\w -]*$/i.test(i.name));
}

/** Comments, strings outside declarations and `@font-face` blocks are left as they are. */
function splitProtected(css: string): { text: string; protected: boolean }[] {
  const out: { text: string; protected: boolean }[] = [];
  const re = /\/\*[\s\S]*?\*\/|@font-face\s*\{[^}]*\}|@import[^;]*;/gi;
  let last = 0;
  for (const m of css.matchAll(re)) {
    if (m.index! > last) out.push({ text: css.slice(last, m.index), protected: false });
    out.push({ text: m[0], protected: true });
    last = m.index! + m[0].length;
  }
  if (last < css.length) out.push({ text: css.slice(last), protected: false });
  return out;
}

function stripComments(css: string): string {
  return css.replace(/\/\*[\s\S]*?\*\//g, "");
}

/** `@import url(https://fonts.googleapis.com/…);` / `@import "https://fonts.googleapis.com/…";` */
const GOOGLE_IMPORT = /@import\s+(?:url\(\s*)?(["']?)(https?:\/\/fonts\.googleapis\.com\/[^"')\s]+)\1\s*\)?[^;]*;/gi;

/** Removes Google Fonts `@import`s; returns the CSS and the URLs removed. */
export function removeGoogleImports(css: string): { css: string; urls: string[] } {
  const urls: string[] = [];
  const next = css.replace(GOOGLE_IMPORT, (_all, _q: string, url: string) => {
    urls.push(url);
    return "";
  });
  return { css: next, urls };
}

/** Family names a Google Fonts CSS URL asks for (`css2?family=Inter:wght@400;700&family=Open+Sans`, `css?family=Roboto|Lato`). */
export function googleFontFamilies(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url.replace(/&amp;/g, "&"));
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const value of parsed.searchParams.getAll("family")) {
    for (const part of value.split("|")) {
      const name = part.split(":")[0]!.replace(/\+/g, " ").trim();
      if (name) out.push(name);
    }
  }
  return out;
}
