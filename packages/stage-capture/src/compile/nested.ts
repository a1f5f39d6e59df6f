/**
 * Nested compositions (COMPOSITION.md §2.4), inlined at compile time into one document:
 *
 * - hosts: `[data-composition-src]` (a file, resolved from the project root at any depth) and an
 *   empty `[data-composition-id="X"]` with a `<template id="X-template">` in the same document;
 *   inline hosts (markup inside) are left as they are;
 * - content: the file's `template#X-template`, else its first `<template>`, else its `<body>`; its
 *   head `<style>` and local stylesheets are scoped and hoisted into `<head>` (cssScope.ts), head
 *   `<script src>` hoisted, head inline scripts run first inside the composition;
 * - the inner root (the content's `[data-composition-id]`) becomes the host's only child: its id
 *   and timing attributes go (`id` → `data-hf-authored-id`), it gets `data-hf-inner-root` and an
 *   inline px size; the host gets `data-composition-file`, the inner root's size (and duration,
 *   `data-no-timeline`) when it has none, and an inline px size;
 * - repeated mounts of one id get runtime ids `X__hf1`, `X__hf2`, … (`data-hf-original-composition-id`);
 *   media ids already taken in the document are renamed too (frames and mix are keyed by id);
 * - relative asset paths are rewritten to project paths (assetPaths.ts); inline scripts are wrapped
 *   so they resolve inside their composition (scriptScope.ts); external scripts are deduplicated.
 *
 * Circular references are skipped with a warning; nesting is limited to MAX_NESTING_DEPTH levels and
 * MAX_INSTANCES mounts. Every bad reference (missing, empty, unparsable, outside the project) is
 * collected and the compile fails with all of them, naming each host and attribute.
 */
import path from "node:path";
import { readFile, realpath } from "node:fs/promises";
import { defaultTreeAdapter, html, parse, parseFragment, serialize, type DefaultTreeAdapterMap } from "parse5";
import { FrameloomError } from "@frameloom/shared-helpers";
import { rewriteAssetPaths, rewriteAssetUrl } from "./assetPaths.js";
import { isInside, loadCompositionFile, resolveCompositionSrc, type Document, type Loaded } from "./compositionFiles.js";
import { cssString, rewriteCssUrls, scopeCss, type CssScope } from "./cssScope.js";
import { CompileErrors } from "./errors.js";
import { FIRST, LAST, wrapScript, type ScopeSpec } from "./scriptScope.js";
import { allElements, appendStyle, attr, childrenOf, isElement, isWithin, ownText, removeAttr, setAttr, toNumber, type Element, type Node } from "./tree.js";

type Template = DefaultTreeAdapterMap["template"];

export const MAX_NESTING_DEPTH = 16;
export const MAX_INSTANCES = 1000;

/** One mounted sub-composition. */
export interface Instance extends ScopeSpec {
  /** Absolute path of the file its markup came from (the entry for a template form). */
  file: string;
  /** `data-composition-src` as written (null for a template form). */
  src: string | null;
  host: Element;
  innerRoot: Element;
  /** `data-composition-variables` of the file's `<html>` (null if none). */
  htmlVariables: string | null;
}

export interface MountResult {
  instances: Instance[];
  /** The file each inlined element was written in (elements of the entry are absent). */
  origin: WeakMap<Element, string>;
}

interface Source {
  file: string;
  dir: string;
  doc: Document;
}

interface BadReference {
  element: string;
  attribute: string;
  file: string;
  reason: string;
}

const TIMING_ATTRS = ["data-composition-id", "data-start", "data-duration", "data-end", "data-composition-duration", "data-track-index", "data-composition-src"];
const MEDIA_TAGS = new Set(["video", "audio", "img"]);

export function isJavaScript(el: Element): boolean {
  const type = (attr(el, "type") ?? "").trim().toLowerCase();
  return type === "" || /^(text|application)\/(x-)?(java|ecma)script$/.test(type) || type === "text/jscript";
}

function describeHost(el: Element): string {
  const id = attr(el, "id");
  const comp = attr(el, "data-composition-id");
  return `<${el.tagName}${id ? ` id="${id}"` : ""}${comp ? ` data-composition-id="${comp}"` : ""}>`;
}

function findElement(root: Node, test: (el: Element) => boolean): Element | null {
  for (const el of allElements(root)) if (test(el)) return el;
  return null;
}

function headOf(doc: Document): Element | null {
  return findElement(doc, (el) => el.tagName === "head");
}

function bodyOf(doc: Document): Element | null {
  return findElement(doc, (el) => el.tagName === "body");
}

function findTemplate(doc: Node, id: string | null): Template | null {
  return (findElement(doc, (el) => el.tagName === "template" && (id === null || attr(el, "id") === id)) as Template | null) ?? null;
}

function createElement(tag: string, attrs: Record<string, string>): Element {
  return defaultTreeAdapter.createElement(tag, html.NS.HTML, Object.entries(attrs).map(([name, value]) => ({ name, value })));
}

function createStyle(css: string, rid: string): Element {
  const style = createElement("style", { "data-hf-composition": rid });
  // Raw text: a stylesheet file must not be able to close the element it is inlined into.
  defaultTreeAdapter.insertText(style, css.replace(/<\/(style)/gi, "<\\/$1"));
  return style;
}

function setText(el: Element, text: string): void {
  for (const child of el.childNodes.slice()) defaultTreeAdapter.detachNode(child);
  defaultTreeAdapter.insertText(el, text);
}

function pxSize(value: string | null): number | null {
  const n = toNumber(value);
  return n !== null && n > 0 ? n : null;
}

/** Inlines every sub-composition of `doc` (the entry document) in place. */
export async function mountCompositions(doc: Document, entryFile: string, projectDir: string, warnings: string[]): Promise<MountResult> {
  return new Mounter(doc, entryFile, projectDir, warnings).run();
}

class Mounter {
  private readonly instances: Instance[] = [];
  private readonly origin = new WeakMap<Element, string>();
  private readonly bad: BadReference[] = [];
  private readonly files = new Map<string, Promise<Loaded>>();
  private readonly usedCompositionIds = new Set<string>();
  private readonly usedIds = new Set<string>();
  private readonly mountCounts = new Map<string, number>();
  private readonly handled = new WeakSet<Element>();
  /** Inline scripts to wrap, with their instance. */
  private readonly toWrap = new Map<Element, Instance>();
  /** External scripts that came from sub-compositions (deduplicated against the rest). */
  private readonly fromCompositions = new WeakSet<Element>();
  private readonly head: Element;

  constructor(
    private readonly doc: Document,
    private readonly entryFile: string,
    private readonly projectDir: string,
    private readonly warnings: string[],
  ) {
    for (const el of allElements(doc)) {
      const comp = attr(el, "data-composition-id");
      if (comp !== null) this.usedCompositionIds.add(comp);
      const id = attr(el, "id");
      if (id) this.usedIds.add(id);
    }
    this.head = headOf(doc)!;
  }

  private rel(file: string): string {
    return path.relative(this.projectDir, file) || path.basename(file);
  }

  async run(): Promise<MountResult> {
    const source: Source = { file: this.entryFile, dir: path.dirname(this.entryFile), doc: this.doc };
    await this.mountWithin(bodyOf(this.doc) ?? this.doc, source, [this.entryFile], 0);
    if (this.bad.length > 0) {
      const list = this.bad.map((b) => `${b.element} ${b.attribute} in ${b.file}: ${b.reason}`);
      throw new FrameloomError(
        CompileErrors.COMPOSITION_SRC_INVALID,
        `${this.bad.length} sub-composition reference(s) cannot be inlined: ${list.join("; ")}`,
        { details: { references: this.bad } },
      );
    }
    this.dedupeScripts();
    this.wrapScripts();
    return { instances: this.instances, origin: this.origin };
  }

  private async mountWithin(container: Node, source: Source, chain: string[], depth: number): Promise<void> {
    for (const el of allElements(container)) {
      if (this.handled.has(el) || !isWithin(el, container)) continue;
      const src = attr(el, "data-composition-src");
      if (src === null) {
        const id = attr(el, "data-composition-id");
        if (id === null || el.childNodes.some(isElement) || !findTemplate(source.doc, `${id}-template`)) continue;
      }
      this.handled.add(el);
      await this.mountHost(el, source, chain, depth);
    }
  }

  private async load(file: string): Promise<Loaded> {
    let loaded = this.files.get(file);
    if (!loaded) {
      loaded = loadCompositionFile(file, this.projectDir);
      this.files.set(file, loaded);
    }
    return loaded;
  }

  private async mountHost(host: Element, source: Source, chain: string[], depth: number): Promise<void> {
    const src = attr(host, "data-composition-src");
    const authoredId = attr(host, "data-composition-id");
    const badRef = (reason: string): void => {
      this.bad.push({
        element: describeHost(host),
        attribute: src !== null ? `data-composition-src="${src}"` : `<template id="${authoredId}-template">`,
        file: this.rel(source.file),
        reason,
      });
      removeAttr(host, "data-composition-src");
    };

    let key: string;
    let file: string;
    let content: Node[];
    let headItems: Element[] = [];
    let htmlVariables: string | null = null;
    let fileDoc: Document;
    if (src !== null) {
      const resolved = resolveCompositionSrc(src, this.projectDir);
      if (!resolved.ok) return badRef(resolved.reason);
      const loaded = await this.load(resolved.file);
      if (!loaded.ok) return badRef(loaded.reason);
      key = loaded.file;
      file = loaded.file;
      if (chain.includes(key)) {
        this.warnings.push(
          `${this.rel(source.file)}: ${describeHost(host)} data-composition-src="${src}" is circular (${[...chain, key].map((f) => this.rel(f.replace(/#.*$/, ""))).join(" → ")}); skipped`,
        );
        removeAttr(host, "data-composition-src");
        if (attr(host, "data-no-timeline") === null) setAttr(host, "data-no-timeline", "");
        return;
      }
      fileDoc = parse(loaded.text);
      const template = findTemplate(fileDoc, authoredId !== null ? `${authoredId}-template` : null) ?? findTemplate(fileDoc, null);
      content = [...childrenOf(template ?? bodyOf(fileDoc) ?? fileDoc)];
      const fileHead = headOf(fileDoc);
      if (fileHead) headItems = fileHead.childNodes.filter((n): n is Element => isElement(n) && ["link", "style", "script"].includes(n.tagName));
      const htmlEl = findElement(fileDoc, (el) => el.tagName === "html");
      htmlVariables = htmlEl ? attr(htmlEl, "data-composition-variables") : null;
      if (!content.some(isElement)) return badRef(`the file has no markup in its ${template ? "<template>" : "<body>"} (${file})`);
    } else {
      const template = findTemplate(source.doc, `${authoredId}-template`)!;
      key = `${source.file}#${authoredId}-template`;
      file = source.file;
      fileDoc = source.doc;
      if (chain.includes(key)) {
        this.warnings.push(`${this.rel(source.file)}: ${describeHost(host)} mounts its own <template id="${authoredId}-template"> (circular); skipped`);
        return;
      }
      content = [...parseFragment(serialize(template.content)).childNodes] as Node[];
      if (!content.some(isElement)) return badRef(`the template is empty`);
    }
    if (depth + 1 > MAX_NESTING_DEPTH) {
      return badRef(`nested more than ${MAX_NESTING_DEPTH} levels deep (${[...chain, key].map((f) => this.rel(f.replace(/#.*$/, ""))).join(" → ")})`);
    }
    if (this.instances.length + 1 > MAX_INSTANCES) {
      throw new FrameloomError(
        CompileErrors.COMPOSITION_LIMIT,
        `${this.rel(source.file)}: ${describeHost(host)} would be sub-composition mount number ${MAX_INSTANCES + 1}; the limit is ${MAX_INSTANCES} (check for a file mounting itself through others)`,
      );
    }
    const fileDir = path.dirname(file);
    const paths = { projectDir: this.projectDir, fileDir };

    for (const node of content) defaultTreeAdapter.detachNode(node as never);
    for (const node of content) rewriteAssetPaths(node, paths);
    for (const item of headItems) rewriteAssetPaths(item, paths);

    // The inner root, and what lies around it.
    let inner = content.map((n) => (isElement(n) ? (attr(n, "data-composition-id") !== null ? n : findElement(n, (el) => attr(el, "data-composition-id") !== null)) : null)).find((e) => e) ?? null;
    const children: Node[] = [];
    if (!inner) {
      inner = createElement("div", {});
      for (const node of content) defaultTreeAdapter.appendChild(inner, node as never);
      children.push(inner);
    } else {
      const top = content.find((n) => isWithin(inner!, n))!;
      const topIndex = content.indexOf(top);
      const meaningful = (n: Node): boolean => isElement(n) || (n.nodeName === "#text" && (n as { value: string }).value.trim() !== "");
      const before = content.slice(0, topIndex).filter(meaningful);
      const after = content.slice(topIndex + 1).filter(meaningful);
      if (top === inner) {
        const first = inner.childNodes[0];
        for (const node of before) {
          if (first) defaultTreeAdapter.insertBefore(inner, node as never, first);
          else defaultTreeAdapter.appendChild(inner, node as never);
        }
        for (const node of after) defaultTreeAdapter.appendChild(inner, node as never);
        children.push(inner);
      } else {
        children.push(...before, top, ...after);
      }
    }

    const fileId = attr(inner, "data-composition-id");
    const innerId = attr(inner, "id");
    const innerWidth = attr(inner, "data-width");
    const innerHeight = attr(inner, "data-height");
    const innerDuration = attr(inner, "data-duration") ?? attr(inner, "data-composition-duration");
    for (const name of TIMING_ATTRS) removeAttr(inner, name);
    if (innerId !== null) {
      removeAttr(inner, "id");
      setAttr(inner, "data-hf-authored-id", innerId);
    }
    setAttr(inner, "data-hf-inner-root", "");

    // Runtime id: the first mount keeps the authored id, later ones get __hf1, __hf2, …
    const base = authoredId ?? fileId ?? "composition";
    const count = this.mountCounts.get(base) ?? 0;
    let rid = base;
    if (count > 0 || (authoredId === null && this.usedCompositionIds.has(base))) {
      let n = Math.max(0, count - 1);
      do rid = `${base}__hf${++n}`;
      while (this.usedCompositionIds.has(rid));
    }
    this.mountCounts.set(base, count + 1);
    this.usedCompositionIds.add(rid);

    // Media ids already in the document are renamed (frame injection and the mix are keyed by id).
    const ids: Record<string, string> = {};
    for (const node of children) {
      for (const el of isElement(node) ? [node, ...allElements(node)] : []) {
        this.origin.set(el, file);
        const id = attr(el, "id");
        if (!id) continue;
        if (MEDIA_TAGS.has(el.tagName) && this.usedIds.has(id)) {
          let n = 0;
          let next: string;
          do next = `${id}__hf${++n}`;
          while (this.usedIds.has(next));
          setAttr(el, "id", next);
          ids[id] = next;
          this.usedIds.add(next);
        } else this.usedIds.add(id);
      }
    }

    // Host attributes.
    setAttr(host, "data-composition-id", rid);
    if (rid !== base) setAttr(host, "data-hf-original-composition-id", base);
    if (src !== null) {
      setAttr(host, "data-composition-file", src);
      removeAttr(host, "data-composition-src");
    }
    if (attr(host, "data-width") === null && innerWidth !== null) setAttr(host, "data-width", innerWidth);
    if (attr(host, "data-height") === null && innerHeight !== null) setAttr(host, "data-height", innerHeight);
    if (attr(host, "data-duration") === null && attr(host, "data-end") === null && innerDuration !== null) setAttr(host, "data-duration", innerDuration);
    if (attr(inner, "data-no-timeline") !== null && attr(host, "data-no-timeline") === null) setAttr(host, "data-no-timeline", "");
    const hostW = pxSize(attr(host, "data-width"));
    const hostH = pxSize(attr(host, "data-height"));
    const innerW = pxSize(innerWidth) ?? hostW;
    const innerH = pxSize(innerHeight) ?? hostH;
    if (hostW !== null && hostH !== null) appendStyle(host, `width:${hostW}px;height:${hostH}px`);
    if (innerW !== null && innerH !== null) appendStyle(inner, `width:${innerW}px;height:${innerH}px`);

    const instance: Instance = { rid, authoredId, fileId, innerId, ids, file, src, host, innerRoot: inner, htmlVariables };
    const scope: CssScope = { scope: `[data-composition-id=${cssString(rid)}]`, fileId, innerId, ids };

    // Head: styles and local stylesheets scoped into <head>, external scripts hoisted, inline scripts first inside.
    const firstInside = inner.childNodes[0];
    for (const item of headItems) {
      defaultTreeAdapter.detachNode(item);
      if (item.tagName === "style") {
        defaultTreeAdapter.appendChild(this.head, createStyle(scopeCss(ownText(item), scope), rid));
      } else if (item.tagName === "link") {
        defaultTreeAdapter.appendChild(this.head, await this.linkToStyle(item, scope, rid, file));
      } else if (attr(item, "src") !== null) {
        this.fromCompositions.add(item);
        defaultTreeAdapter.appendChild(this.head, item);
      } else {
        if (firstInside) defaultTreeAdapter.insertBefore(inner, item, firstInside);
        else defaultTreeAdapter.appendChild(inner, item);
        this.origin.set(item, file);
      }
    }
    // Content: styles scoped in place, stylesheets inlined, scripts marked.
    for (const el of children.flatMap((n) => (isElement(n) ? [n, ...allElements(n)] : []))) {
      if (el.tagName === "style") setText(el, scopeCss(ownText(el), scope));
      else if (el.tagName === "link" && /(^|\s)stylesheet(\s|$)/i.test(attr(el, "rel") ?? "")) {
        const style = await this.linkToStyle(el, scope, rid, file);
        if (style !== el) {
          defaultTreeAdapter.insertBefore(el.parentNode as Element, style, el);
          defaultTreeAdapter.detachNode(el);
        }
      } else if (el.tagName === "script") {
        if (attr(el, "src") !== null) this.fromCompositions.add(el);
        else if (isJavaScript(el)) this.toWrap.set(el, instance);
      }
    }
    for (const child of host.childNodes.slice()) defaultTreeAdapter.detachNode(child);
    for (const node of children) defaultTreeAdapter.appendChild(host, node as never);
    this.instances.push(instance);
    await this.mountWithin(host, { file, dir: fileDir, doc: fileDoc }, [...chain, key], depth + 1);
  }

  /** A local stylesheet `<link>` as a scoped `<style>` (its url()s resolved against the stylesheet); others are kept. */
  private async linkToStyle(link: Element, scope: CssScope, rid: string, file: string): Promise<Element> {
    const href = attr(link, "href");
    const isSheet = /(^|\s)stylesheet(\s|$)/i.test(attr(link, "rel") ?? "");
    if (!isSheet || href === null || /^[a-z][a-z0-9+.-]*:/i.test(href.trim()) || href.trim().startsWith("//")) return link;
    const resolved = resolveCompositionSrc(href, this.projectDir);
    if (!resolved.ok) return link;
    let css: string;
    try {
      const real = await realpath(resolved.file);
      if (!isInside(this.projectDir, real)) return link;
      css = await readFile(real, "utf8");
    } catch {
      this.warnings.push(`${this.rel(file)}: stylesheet ${href} cannot be read; kept as a <link>, not scoped`);
      return link;
    }
    const rewritten = rewriteCssUrls(css, (u) => rewriteAssetUrl(u, { projectDir: this.projectDir, fileDir: path.dirname(resolved.file), always: true }));
    return createStyle(scopeCss(rewritten, scope), rid);
  }

  /** Keeps the first `<script src>` of each URL where a sub-composition brought a duplicate. */
  private dedupeScripts(): void {
    const seen = new Map<string, Element>();
    for (const el of allElements(this.doc)) {
      if (el.tagName !== "script") continue;
      const src = attr(el, "src");
      if (src === null) continue;
      let key: string;
      try {
        key = new URL(src.trim(), "http://project.invalid/").href;
      } catch {
        key = src.trim();
      }
      const first = seen.get(key);
      if (!first) seen.set(key, el);
      else if (this.fromCompositions.has(el) || this.fromCompositions.has(first)) defaultTreeAdapter.detachNode(el);
    }
  }

  /** Wraps each instance's inline scripts (scriptScope.ts); first and last of an instance open and close its bracket. */
  private wrapScripts(): void {
    const byInstance = new Map<Instance, Element[]>();
    for (const el of allElements(this.doc)) {
      const instance = this.toWrap.get(el);
      if (!instance) continue;
      const list = byInstance.get(instance) ?? [];
      list.push(el);
      byInstance.set(instance, list);
    }
    for (const [instance, scripts] of byInstance) {
      scripts.forEach((el, i) => {
        const flags = (i === 0 ? FIRST : 0) | (i === scripts.length - 1 ? LAST : 0);
        setText(el, wrapScript(ownText(el), instance.rid, flags));
      });
    }
  }
}
