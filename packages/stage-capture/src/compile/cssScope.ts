/**
 * CSS of an inlined sub-composition (COMPOSITION.md §2.4 "Styles"): every style rule's selectors are
 * prefixed with the instance's scope `[data-composition-id="<runtime id>"]`; `html`, `body` and
 * `:root` map onto the composition box (the host); a selector that starts at the file's own root
 * (`[data-composition-id="<file id>"]` or `#<root id>`) targets the inner root, `scope > [data-hf-inner-root]`.
 * Grouping at-rules (`@media`, `@supports`, `@container`, `@layer {…}`, `@starting-style`) are scoped
 * inside; `@keyframes`, `@font-face`, `@page`, `@property` and the like are kept as they are. Nested
 * rules inside a style rule are relative to it, so they are left alone.
 */

export interface CssScope {
  /** `[data-composition-id="X__hf1"]` */
  scope: string;
  /** The inner root's authored `data-composition-id` (the file's own id), if any. */
  fileId: string | null;
  /** The inner root's authored `id` (moved to `data-hf-authored-id`), if any. */
  innerId: string | null;
  /** Element ids renamed in this instance (media ids that were already taken): old → new. */
  ids: Record<string, string>;
}

const GROUPING = new Set(["media", "supports", "container", "layer", "document", "-moz-document", "starting-style"]);
const INNER_ROOT = "[data-hf-inner-root]";

/** Quoted CSS attribute value. */
export function cssString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\a ")}"`;
}

/** Index just past a comment or string starting at `i`, or -1 when there is none at `i`. */
function skipAtom(css: string, i: number): number {
  const ch = css[i];
  if (ch === "/" && css[i + 1] === "*") {
    const end = css.indexOf("*/", i + 2);
    return end < 0 ? css.length : end + 2;
  }
  if (ch === '"' || ch === "'") {
    let j = i + 1;
    while (j < css.length && css[j] !== ch) {
      if (css[j] === "\\") j++;
      else if (css[j] === "\n") break;
      j++;
    }
    return Math.min(css.length, j + 1);
  }
  return -1;
}

/** Index of the `}` that closes the block opened at `open` (or css.length when unterminated). */
function blockEnd(css: string, open: number): number {
  let depth = 0;
  for (let i = open; i < css.length; i++) {
    const skip = skipAtom(css, i);
    if (skip >= 0) {
      i = skip - 1;
      continue;
    }
    if (css[i] === "\\") i++;
    else if (css[i] === "{") depth++;
    else if (css[i] === "}" && --depth === 0) return i;
  }
  return css.length;
}

/** Scopes every rule of a stylesheet (or of a grouping rule's body). */
export function scopeCss(css: string, scope: CssScope): string {
  let out = "";
  let i = 0;
  while (i < css.length) {
    // Whitespace and comments between rules are copied.
    const start = i;
    for (;;) {
      while (i < css.length && /\s/.test(css[i]!)) i++;
      if (css[i] === "/" && css[i + 1] === "*") i = skipAtom(css, i);
      else break;
    }
    out += css.slice(start, i);
    if (i >= css.length) break;
    // The prelude runs to the first `{` or `;` outside strings, comments, parentheses and brackets.
    let j = i;
    let depth = 0;
    let terminator: "{" | ";" | "}" | null = null;
    for (; j < css.length; j++) {
      const skip = skipAtom(css, j);
      if (skip >= 0) {
        j = skip - 1;
        continue;
      }
      const ch = css[j]!;
      if (ch === "\\") j++;
      else if (ch === "(" || ch === "[") depth++;
      else if (ch === ")" || ch === "]") depth = Math.max(0, depth - 1);
      else if (depth === 0 && (ch === "{" || ch === ";" || ch === "}")) {
        terminator = ch;
        break;
      }
    }
    const prelude = css.slice(i, j);
    if (terminator !== "{") {
      // A statement at-rule (`@import …;`), a stray `}` or trailing text: copied as is.
      out += css.slice(i, terminator ? j + 1 : j);
      i = terminator ? j + 1 : j;
      continue;
    }
    const close = blockEnd(css, j);
    const body = css.slice(j + 1, close);
    const trimmed = prelude.trim();
    if (trimmed.startsWith("@")) {
      const name = /^@([\w-]+)/.exec(trimmed)?.[1]?.toLowerCase() ?? "";
      out += `${prelude}{${GROUPING.has(name) ? scopeCss(body, scope) : body}}`;
    } else {
      out += `${scopeSelectorList(prelude, scope)}{${body}}`;
    }
    i = close + 1;
  }
  return out;
}

/** Splits at top-level commas (outside strings, parentheses and brackets). */
function splitList(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const skip = skipAtom(text, i);
    if (skip >= 0) {
      i = skip - 1;
      continue;
    }
    const ch = text[i]!;
    if (ch === "\\") i++;
    else if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth = Math.max(0, depth - 1);
    else if (ch === "," && depth === 0) {
      parts.push(text.slice(last, i));
      last = i + 1;
    }
  }
  parts.push(text.slice(last));
  return parts;
}

export function scopeSelectorList(prelude: string, scope: CssScope): string {
  const lead = /^\s*/.exec(prelude)![0];
  const trail = /\s*$/.exec(prelude)![0];
  return lead + splitList(prelude.trim()).map((s) => scopeSelector(s.trim(), scope)).join(", ") + trail;
}

/** Compounds and the combinators between them (` `, ` > `, ` + `, ` ~ `), at the top level. */
function splitCompounds(selector: string): { compounds: string[]; combinators: string[] } {
  const compounds: string[] = [];
  const combinators: string[] = [];
  let depth = 0;
  let current = "";
  for (let i = 0; i < selector.length; i++) {
    const skip = skipAtom(selector, i);
    if (skip >= 0) {
      current += selector.slice(i, skip);
      i = skip - 1;
      continue;
    }
    const ch = selector[i]!;
    if (ch === "\\") {
      current += selector.slice(i, i + 2);
      i++;
      continue;
    }
    if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth = Math.max(0, depth - 1);
    if (depth === 0 && (/\s/.test(ch) || ch === ">" || ch === "+" || ch === "~")) {
      let j = i;
      while (j < selector.length && (/\s/.test(selector[j]!) || ">+~".includes(selector[j]!))) j++;
      const comb = selector.slice(i, j).trim();
      if (current !== "") {
        compounds.push(current);
        combinators.push(comb === "" ? " " : ` ${comb} `);
      } else if (comb !== "") {
        // A leading combinator (relative selector): keep it on the first compound.
        current = `${comb} `;
        i = j - 1;
        continue;
      }
      current = "";
      i = j - 1;
      continue;
    }
    current += ch;
  }
  if (current !== "") compounds.push(current);
  return { compounds, combinators: combinators.slice(0, Math.max(0, compounds.length - 1)) };
}

const COMPOSITION_ATTR = /^\[\s*data-composition-id\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^\s\]]*))\s*(?:[is]\s*)?\]$/;

/**
 * Rewrites one compound's own simple selectors (not those inside `:not(…)` and the like): the file's
 * root references become `[data-hf-inner-root]` / `[data-hf-authored-id]`, renamed ids their new id.
 */
function rewriteCompound(compound: string, scope: CssScope): { text: string; innerRoot: boolean } {
  let out = "";
  let innerRoot = false;
  let depth = 0;
  for (let i = 0; i < compound.length; i++) {
    const ch = compound[i]!;
    const skip = skipAtom(compound, i);
    if (skip >= 0) {
      out += compound.slice(i, skip);
      i = skip - 1;
      continue;
    }
    if (ch === "\\") {
      out += compound.slice(i, i + 2);
      i++;
      continue;
    }
    if (ch === "(") depth++;
    else if (ch === ")") depth = Math.max(0, depth - 1);
    if (depth === 0 && ch === "[") {
      let j = i + 1;
      while (j < compound.length && compound[j] !== "]") {
        const s = skipAtom(compound, j);
        j = s >= 0 ? s : j + 1;
      }
      const bracket = compound.slice(i, j + 1);
      const match = COMPOSITION_ATTR.exec(bracket);
      const value = match ? (match[1] ?? match[2] ?? match[3] ?? "") : null;
      if (value !== null && scope.fileId !== null && value === scope.fileId) {
        out += INNER_ROOT;
        innerRoot = true;
      } else out += bracket;
      i = j;
      continue;
    }
    if (depth === 0 && ch === "#") {
      const m = /^#((?:\\.|[\w-]|[^\p{ASCII}])+)/u.exec(compound.slice(i));
      if (m) {
        const id = m[1]!.replace(/\\(.)/g, "$1");
        if (scope.innerId !== null && id === scope.innerId) {
          out += `[data-hf-authored-id=${cssString(id)}]`;
          innerRoot = true;
        } else if (scope.ids[id]) out += `#${cssIdent(scope.ids[id])}`;
        else out += m[0];
        i += m[0].length - 1;
        continue;
      }
    }
    out += ch;
  }
  return { text: out, innerRoot };
}

function cssIdent(value: string): string {
  return value.replace(/([^\w-])/g, "\\$1").replace(/^(\d)/, "\\3$1 ");
}

/** `html`, `body` and `:root` in a compound: removed (they become the scope); null when the compound has none. */
function rootLike(compound: string): string | null {
  let rest = compound;
  let found = false;
  const type = /^(html|body)(?![\w-])/i.exec(rest);
  if (type) {
    rest = rest.slice(type[0].length);
    found = true;
  }
  if (/(^|[^(]):root(?![\w-])/i.test(rest)) {
    rest = rest.replace(/:root(?![\w-])/gi, "");
    found = true;
  }
  return found ? rest : null;
}

export function scopeSelector(selector: string, scope: CssScope): string {
  if (selector === "") return selector;
  const { compounds, combinators } = splitCompounds(selector);
  if (compounds.length === 0) return selector;
  const rewritten = compounds.map((c) => rewriteCompound(c, scope));
  // Leading html / body / :root compounds collapse onto the scope itself.
  let k = 0;
  let merged = "";
  while (k < compounds.length) {
    const rest = rootLike(rewritten[k]!.text);
    if (rest === null) break;
    if (k > 0 && combinators[k - 1] !== " " && combinators[k - 1] !== " > ") break;
    merged += rest;
    k++;
  }
  const tail = (from: number): string => {
    let s = "";
    for (let n = from; n < compounds.length; n++) s += (n > from ? combinators[n - 1] : "") + rewritten[n]!.text;
    return s;
  };
  if (k > 0) {
    const head = scope.scope + merged;
    return k < compounds.length ? head + combinators[k - 1] + tail(k) : head;
  }
  if (rewritten[0]!.innerRoot) return `${scope.scope} > ${tail(0)}`;
  return `${scope.scope} ${tail(0)}`;
}

/** Rewrites every `url(…)` and `@import "…"` target of a stylesheet with `rewrite`. */
export function rewriteCssUrls(css: string, rewrite: (url: string) => string): string {
  return css
    .replace(/url\(\s*(?:"([^"]*)"|'([^']*)'|([^'")\s]*))\s*\)/gi, (whole, dq?: string, sq?: string, bare?: string) => {
      const url = dq ?? sq ?? bare ?? "";
      const next = rewrite(url);
      if (next === url) return whole;
      const quote = dq !== undefined ? '"' : sq !== undefined ? "'" : "";
      return `url(${quote}${next}${quote})`;
    })
    .replace(/@import\s+(["'])([^"']+)\1/gi, (whole, quote: string, url: string) => {
      const next = rewrite(url);
      return next === url ? whole : `@import ${quote}${next}${quote}`;
    });
}
