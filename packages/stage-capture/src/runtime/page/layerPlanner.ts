/**
 * In-page layer planner for HDR layered capture (DESIGN.md pipeline step 4).
 *
 * After each seek, `window.__frameloomLayers.plan(mediaIds)` splits the page into a bottom-to-top
 * stack: DOM layer 0, media element 1, DOM layer 1, media element 2, … in CSS paint order
 * (stacking contexts, z-index buckets, then tree order), so a DOM element painted after a video
 * stays above it. Adjacent DOM is merged into one layer. `show(k)` makes only DOM layer k visible
 * (everything else `visibility:hidden`, html/body backgrounds transparent above layer 0) for a
 * transparent screenshot; `reset()` restores the page.
 *
 * Each DOM layer gets a signature of what it paints (boxes, key computed styles, own text, image
 * sources); an unchanged signature means the layer need not be captured again. Layers holding a
 * canvas, iframe, svg animation or non-layer video are never considered unchanged.
 *
 * Invariants: `plan()` reads the page and writes only the `data-flm-l` attribute (and, while it
 * measures, a media element's own transform properties, put back at once); `show()` and `reset()`
 * touch only the planner's own <style> element. The pure paint-order helpers are exported
 * for tests. Installing twice does nothing.
 */

/** The computed-style properties the paint-order rules read (a CSSStyleDeclaration, or a plain object in tests). */
export type PaintStyle = Pick<
  CSSStyleDeclaration,
  | "position" | "zIndex" | "display" | "opacity" | "transform" | "translate" | "rotate" | "scale" | "filter"
  | "backdropFilter" | "mixBlendMode" | "isolation" | "clipPath" | "maskImage" | "willChange" | "contain" | "cssFloat"
>;

/** A paint-order key step: [bucket, z-index, tree index]. */
export type KeyStep = [number, number, number];

const STYLE_ID = "__frameloom_layer_style__";
const ATTR = "data-flm-l";
const SIG_PROPS = ["opacity", "transform", "color", "background-color", "background-image", "background-position",
  "background-size", "filter", "clip-path", "box-shadow", "border-top-color", "border-bottom-color", "outline-color",
  "font-size", "letter-spacing", "text-shadow", "mask-image", "mix-blend-mode", "z-index", "visibility", "display",
  "width", "height", "translate", "rotate", "scale", "stroke-dashoffset", "fill", "stroke"];
const VOLATILE_TAGS: Record<string, true> = { CANVAS: true, IFRAME: true, VIDEO: true, EMBED: true, OBJECT: true };

/** Whether an element forms a stacking context (the root always does); `parentCs` is its parent's style. */
export function formsStackingContext(isRoot: boolean, cs: PaintStyle, parentCs: PaintStyle | null): boolean {
  if (isRoot) return true;
  const pos = cs.position;
  if ((pos === "absolute" || pos === "relative") && cs.zIndex !== "auto") return true;
  if (pos === "fixed" || pos === "sticky") return true;
  if (parentCs && (parentCs.display.indexOf("flex") >= 0 || parentCs.display.indexOf("grid") >= 0) && cs.zIndex !== "auto") return true;
  if (parseFloat(cs.opacity) < 1) return true;
  if (cs.transform !== "none" || cs.translate !== "none" || cs.rotate !== "none" || cs.scale !== "none") return true;
  if (cs.filter !== "none" || (cs.backdropFilter && cs.backdropFilter !== "none")) return true;
  if (cs.mixBlendMode !== "normal" || cs.isolation === "isolate") return true;
  if (cs.clipPath !== "none" || (cs.maskImage && cs.maskImage !== "none")) return true;
  if (/(transform|opacity|filter)/.test(cs.willChange)) return true;
  if (/(paint|layout|strict|content)/.test(cs.contain)) return true;
  return false;
}

/** Paint bucket and z of an element inside its parent stacking context (CSS 2.1 Appendix E, simplified). */
export function paintBucket(cs: PaintStyle, isContext: boolean): [number, number] {
  const positioned = cs.position !== "static";
  const z = cs.zIndex === "auto" ? 0 : parseInt(cs.zIndex, 10) || 0;
  if (isContext || positioned) {
    if (z < 0) return [1, z];
    if (z > 0) return [7, z];
    return [6, 0];
  }
  if (cs.cssFloat && cs.cssFloat !== "none") return [4, 0];
  if (cs.display.indexOf("inline") === 0) return [5, 0];
  return [3, 0];
}

/** Paint order of two keys: negative when `a` paints first. */
export function compareKeys(a: readonly KeyStep[], b: readonly KeyStep[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x[0] !== y[0]) return x[0] - y[0];
    if (x[1] !== y[1]) return x[1] - y[1];
    if (x[2] !== y[2]) return x[2] - y[2];
  }
  return a.length - b.length;
}

/** cyrb53: a 53-bit string hash, so signatures cross the protocol as numbers, not page dumps. */
export function cyrb53(str: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Border radii [tl x, y, tr x, y, br x, y, bl x, y] in px of a w×h box (percentages resolved); null when square. */
export function borderRadii(corners: readonly string[], w: number, h: number): number[] | null {
  const out: number[] = [];
  let any = false;
  for (let i = 0; i < 4; i++) {
    const p = String(corners[i] || "0px").split(" ");
    const rx = p[0]!;
    const ry = p.length > 1 ? p[1]! : p[0]!;
    const x = rx.indexOf("%") > 0 ? (parseFloat(rx) * w) / 100 : parseFloat(rx) || 0;
    const y = ry.indexOf("%") > 0 ? (parseFloat(ry) * h) / 100 : parseFloat(ry) || 0;
    if (x > 0 && y > 0) any = true;
    out.push(Math.max(0, x), Math.max(0, y));
  }
  return any ? out : null;
}

/** The media object-fit the compositor applies: cover / fill / contain as written, else contain for video, fill for images. */
export function mediaFit(objectFit: string, tagName: string): "cover" | "fill" | "contain" {
  if (objectFit === "cover" || objectFit === "fill") return objectFit;
  if (objectFit === "contain") return "contain";
  return tagName === "VIDEO" ? "contain" : "fill";
}

interface KeyEntry {
  key: KeyStep[];
  ownsChildren: boolean;
  cs: CSSStyleDeclaration;
}

/** key(el): [bucket, z, treeIndex] steps along the chain of stacking contexts (and positioned boxes, painted as pseudo-contexts) from the root down to el. */
function computeKeys(elements: Element[]): Map<Element, KeyEntry> {
  const keys = new Map<Element, KeyEntry>();
  const styles = new Map<Element, CSSStyleDeclaration>();
  for (const el of elements) styles.set(el, getComputedStyle(el));
  for (let j = 0; j < elements.length; j++) {
    const el = elements[j]!;
    const cs = styles.get(el)!;
    const parent = el.parentElement;
    const parentCs = parent ? styles.get(parent) || null : null;
    const isContext = formsStackingContext(el === document.documentElement, cs, parentCs);
    const b = paintBucket(cs, isContext);
    const step: KeyStep = [b[0], b[1], j];
    // The nearest ancestor that is a context or positioned box owns el's paint position.
    let owner: Element | null = parent;
    while (owner && !(keys.get(owner) && keys.get(owner)!.ownsChildren)) owner = owner.parentElement;
    const base = owner ? keys.get(owner)!.key : [];
    keys.set(el, { key: base.concat([step]), ownsChildren: isContext || cs.position !== "static", cs });
  }
  return keys;
}

function effectiveOpacity(el: Element): number {
  let o = 1;
  for (let n: Element | null = el; n && n.nodeType === 1; n = n.parentElement) o *= parseFloat(getComputedStyle(n).opacity);
  return o;
}

function isShown(el: Element, cs: CSSStyleDeclaration): boolean {
  if (cs.visibility !== "visible" || cs.display === "none") return false;
  const r = el.getBoundingClientRect();
  if (r.width <= 0 || r.height <= 0) return false;
  for (let n: Element | null = el; n && n.nodeType === 1; n = n.parentElement) if (getComputedStyle(n).display === "none") return false;
  return true;
}

function ownText(el: Element): string {
  let s = "";
  for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 3) s += c.nodeValue;
  return s;
}

interface OwnTransform {
  matrix: number[];
  box: { x: number; y: number; width: number; height: number };
}

/**
 * The element's own 2-D transform (translate, rotate, scale, transform, about transform-origin) as [a..f] from its
 * untransformed layout box to the viewport, plus that box; null when it has none. Ancestors' transforms only move
 * the box (their rotation/scale is not followed). 3-D transforms keep their 2-D part.
 */
function ownTransform(el: HTMLElement, cs: CSSStyleDeclaration): OwnTransform | null {
  if (cs.transform === "none" && cs.translate === "none" && cs.rotate === "none" && cs.scale === "none") return null;
  const props = ["transform", "translate", "rotate", "scale"];
  const saved = props.map((p) => [el.style.getPropertyValue(p), el.style.getPropertyPriority(p)] as const);
  for (const p of props) el.style.setProperty(p, "none", "important");
  const box = el.getBoundingClientRect();
  for (let j = 0; j < props.length; j++) {
    if (saved[j]![0]) el.style.setProperty(props[j]!, saved[j]![0], saved[j]![1]);
    else el.style.removeProperty(props[j]!);
  }
  let m = new DOMMatrix();
  if (cs.translate !== "none") m = m.multiply(new DOMMatrix("translate(" + cs.translate.split(" ").slice(0, 2).join(",") + ")"));
  if (cs.rotate !== "none") {
    const parts = cs.rotate.split(" ");
    m = m.multiply(new DOMMatrix("rotate(" + parts[parts.length - 1] + ")"));
  }
  if (cs.scale !== "none") m = m.multiply(new DOMMatrix("scale(" + cs.scale.split(" ").slice(0, 2).join(",") + ")"));
  if (cs.transform !== "none") m = m.multiply(new DOMMatrix(cs.transform));
  const origin = cs.transformOrigin.split(" ");
  const ox = box.left + (parseFloat(origin[0]!) || 0);
  const oy = box.top + (parseFloat(origin[1]!) || 0);
  const f = new DOMMatrix().translate(ox, oy).multiply(m).translate(-ox, -oy);
  if (f.a === 1 && f.b === 0 && f.c === 0 && f.d === 1 && f.e === 0 && f.f === 0) return null;
  return { matrix: [f.a, f.b, f.c, f.d, f.e, f.f], box: { x: box.left, y: box.top, width: box.width, height: box.height } };
}

export interface PlannedMedia {
  id: string;
  rect: { x: number; y: number; width: number; height: number };
  opacity: number;
  fit: "cover" | "fill" | "contain";
  transform?: number[];
  radius?: number[];
}

export interface LayerPlan {
  media: PlannedMedia[];
  /** One per DOM layer: null when the layer holds something that changes by itself. */
  signatures: (string | null)[];
}

function plan(mediaIds: string[]): LayerPlan {
  reset();
  const elements: Element[] = [document.documentElement].concat(Array.prototype.slice.call(document.documentElement.querySelectorAll("*")));
  const keys = computeKeys(elements);
  const media: (Omit<PlannedMedia, "transform" | "radius"> & { key: KeyStep[]; transform: number[] | null; radius: number[] | null })[] = [];
  const isMedia = new Set<Element>();
  for (const id of mediaIds) {
    const m = document.getElementById(id);
    if (!m) continue;
    isMedia.add(m);
    const entry = keys.get(m);
    if (!entry || !isShown(m, entry.cs)) continue;
    const r = m.getBoundingClientRect();
    const tr = ownTransform(m, entry.cs);
    const rect = tr ? tr.box : { x: r.left, y: r.top, width: r.width, height: r.height };
    const cs = entry.cs;
    media.push({
      id,
      key: entry.key,
      rect,
      transform: tr ? tr.matrix : null,
      radius: borderRadii([cs.borderTopLeftRadius, cs.borderTopRightRadius, cs.borderBottomRightRadius, cs.borderBottomLeftRadius], rect.width, rect.height),
      opacity: effectiveOpacity(m),
      fit: mediaFit(cs.objectFit, m.tagName),
    });
  }
  media.sort((a, b) => compareKeys(a.key, b.key));
  const sigs: string[][] = [];
  for (let k = 0; k <= media.length; k++) sigs.push([]);
  const volatile: boolean[] = [];
  for (let j = 0; j < elements.length; j++) {
    const el = elements[j]!;
    const e = keys.get(el)!;
    if (isMedia.has(el) || e.cs.visibility !== "visible") {
      el.setAttribute(ATTR, "x");
      continue;
    }
    let layer = 0;
    while (layer < media.length && compareKeys(media[layer]!.key, e.key) < 0) layer++;
    el.setAttribute(ATTR, String(layer));
    if (e.cs.display === "none" || el === document.head || (el.closest && el.closest("head"))) continue;
    if (VOLATILE_TAGS[el.tagName] || (el.tagName === "svg" && el.querySelector("animate,animateTransform,animateMotion"))) volatile[layer] = true;
    const r = el.getBoundingClientRect();
    const parts: unknown[] = [j, Math.round(r.left * 4), Math.round(r.top * 4), Math.round(r.width * 4), Math.round(r.height * 4), ownText(el)];
    for (const prop of SIG_PROPS) parts.push(e.cs.getPropertyValue(prop));
    if (el.tagName === "IMG") parts.push((el as HTMLImageElement).currentSrc, (el as HTMLImageElement).complete);
    sigs[layer]!.push(parts.join("|"));
  }
  const signatures = sigs.map((s, idx) => (volatile[idx] ? null : s.length + ":" + cyrb53(s.join("\n"))));
  return {
    media: media.map((m) => {
      const out: PlannedMedia = { id: m.id, rect: m.rect, opacity: m.opacity, fit: m.fit };
      if (m.transform) out.transform = m.transform;
      if (m.radius) out.radius = m.radius;
      return out;
    }),
    signatures,
  };
}

function show(k: number): void {
  let style = document.getElementById(STYLE_ID);
  if (!style) {
    style = document.createElement("style");
    style.id = STYLE_ID;
    (document.head || document.documentElement).appendChild(style);
  }
  style.textContent =
    "[" + ATTR + "]{visibility:hidden !important}[" + ATTR + '="' + k + '"]{visibility:visible !important}' +
    (k > 0 ? "html,body{background:transparent !important}" : "");
}

function reset(): void {
  const style = document.getElementById(STYLE_ID);
  if (style) style.remove();
}

/** Defines `window.__frameloomLayers = { plan, show, reset }` (once). */
export function installLayerPlanner(): void {
  const w = window as Window & { __frameloomLayers?: unknown };
  if (w.__frameloomLayers) return;
  Object.defineProperty(w, "__frameloomLayers", { value: { plan, show, reset }, configurable: false });
}
