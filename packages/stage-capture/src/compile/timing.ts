/** Static timing (COMPOSITION.md §2.2, node-side: reads only data-start / data-duration / data-end). */
import { authoredDuration, clipStart, resolveTimingReference, startAfter } from "./timingRules.js";
import { attr, parentElement, type Element } from "./tree.js";

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
    const result = clipStart(
      attr(el, "data-start"),
      () => this.hostStart(el),
      (text) => this.reference(text),
    );
    this.resolving.delete(el);
    this.starts.set(el, result);
    return result;
  }

  private reference(text: string): number {
    const found = resolveTimingReference(text, (id) => this.byId.get(id) ?? this.byComposition.get(id));
    if (!found || this.resolving.has(found.target)) {
      this.warnings.push(`data-start="${text}" does not resolve to an element; using 0`);
      return 0;
    }
    const start = this.start(found.target);
    return startAfter(start, this.duration(found.target), found.offset);
  }

  duration(el: Element): number | null {
    return authoredDuration(
      (name) => attr(el, name),
      () => this.start(el),
    );
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
