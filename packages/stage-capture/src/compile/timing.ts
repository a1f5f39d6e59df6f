/** Static timing (COMPOSITION.md §2.2, node-side: reads only data-start / data-duration / data-end). */
import { attr, parentElement, toNumber, type Element } from "./tree.js";

const REF = /^([A-Za-z0-9_.:-]+?)\s*(?:([+-])\s*(\d+(?:\.\d+)?|\.\d+))?$/;

export class StaticTiming {
  private readonly byId = new Map<string, Element>();
  private readonly byComposition = new Map<string, Element>();
  private readonly starts = new Map<Element, number>();
  private readonly resolving = new Set<Element>();

  constructor(
    elements: Element[],
    private readonly warnings: string[],
  ) {
    for (const el of elements) {
      const id = attr(el, "id");
      if (id && !this.byId.has(id)) this.byId.set(id, el);
      const comp = attr(el, "data-composition-id");
      if (comp && !this.byComposition.has(comp)) this.byComposition.set(comp, el);
    }
  }

  private hostStart(el: Element): number {
    for (let p = parentElement(el); p; p = parentElement(p)) {
      if (attr(p, "data-composition-id") !== null) return this.start(p);
    }
    return 0;
  }

  start(el: Element): number {
    const cached = this.starts.get(el);
    if (cached !== undefined) return cached;
    if (this.resolving.has(el)) return 0; // cycle
    this.resolving.add(el);
    let result: number;
    const raw = attr(el, "data-start");
    const value = toNumber(raw);
    if (raw === null || value !== null) {
      result = Math.max(0, this.hostStart(el) + (value ?? 0));
    } else {
      result = this.reference(raw.trim());
    }
    this.resolving.delete(el);
    this.starts.set(el, result);
    return result;
  }

  private reference(text: string): number {
    const direct = this.byId.get(text) ?? this.byComposition.get(text);
    let target = direct;
    let offset = 0;
    if (!target) {
      const match = REF.exec(text);
      if (match) {
        target = this.byId.get(match[1]!) ?? this.byComposition.get(match[1]!);
        if (match[2] && match[3]) offset = (match[2] === "-" ? -1 : 1) * Number(match[3]);
      }
    }
    if (!target || this.resolving.has(target)) {
      this.warnings.push(`data-start="${text}" does not resolve to an element; using 0`);
      return 0;
    }
    const start = this.start(target);
    const duration = this.duration(target) ?? 0;
    return Math.max(0, start + duration + offset);
  }

  duration(el: Element): number | null {
    const d = toNumber(attr(el, "data-duration"));
    if (d !== null && d > 0) return d;
    const end = toNumber(attr(el, "data-end"));
    if (end !== null) {
      const length = end - this.start(el);
      if (length > 0) return length;
    }
    return null;
  }

  /**
   * End of the tightest window of the composition hosts around `el` (not `root`): media inside a
   * sub-composition is clipped to its host's end (§2.4). Null when no host bounds it.
   */
  hostEnd(el: Element, root: Element): number | null {
    let end: number | null = null;
    for (let p = parentElement(el); p && p !== root; p = parentElement(p)) {
      if (attr(p, "data-composition-id") === null) continue;
      const duration = this.duration(p);
      if (duration === null) continue;
      const e = this.start(p) + duration;
      end = end === null ? e : Math.min(end, e);
    }
    return end;
  }
}
