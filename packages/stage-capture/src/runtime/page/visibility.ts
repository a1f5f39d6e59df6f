/**
 * Clip visibility (COMPOSITION.md §2.1). Invariants: an element with `data-start` is shown only
 * inside its window and its timed ancestors' windows (the root always shows); `data-hidden` always
 * hides. A hidden in-flow element without timed descendants gets `display:none !important`, any
 * other `visibility:hidden !important` (so positioned layouts and nested clips keep their boxes).
 * The runtime owns only the property it set: the element's own inline value is saved and put back
 * when it shows, and a page write to that property (a GSAP autoAlpha tween) becomes the saved value.
 * An element whose state does not change is not written to.
 */
import type { PageTiming } from "./timing.js";

export type HideMode = "display" | "visibility";

const NEVER_VISIBLE: Record<string, true> = { SCRIPT: true, STYLE: true, LINK: true, META: true, TEMPLATE: true, TITLE: true, HEAD: true };

/** How a hidden element is hidden: display:none only when that cannot move other boxes' timing or layout relations. */
export function hideModeFor(dataHidden: boolean, position: string, hasTimedDescendant: boolean): HideMode {
  if (dataHidden) return "display";
  const inFlow = position === "static" || position === "relative" || position === "sticky" || position === "";
  return inFlow && !hasTimedDescendant ? "display" : "visibility";
}

interface SavedInline {
  display: string;
  displayPriority: string;
  visibility: string;
  visibilityPriority: string;
  hadStyle: boolean;
}

interface HiddenState {
  saved: SavedInline;
  mode: HideMode;
}

function saveInline(el: HTMLElement): SavedInline {
  return {
    display: el.style.getPropertyValue("display"),
    displayPriority: el.style.getPropertyPriority("display"),
    visibility: el.style.getPropertyValue("visibility"),
    visibilityPriority: el.style.getPropertyPriority("visibility"),
    hadStyle: el.hasAttribute("style"),
  };
}

function restoreInline(el: HTMLElement, saved: SavedInline): void {
  if (saved.display) el.style.setProperty("display", saved.display, saved.displayPriority);
  else el.style.removeProperty("display");
  if (saved.visibility) el.style.setProperty("visibility", saved.visibility, saved.visibilityPriority);
  else el.style.removeProperty("visibility");
  if (!saved.hadStyle && el.getAttribute("style") === "") el.removeAttribute("style");
}

export class ClipVisibility {
  private readonly hidden = new WeakMap<Element, HiddenState>();

  constructor(private readonly timing: PageTiming) {}

  private hide(el: HTMLElement, mode: HideMode): void {
    let state = this.hidden.get(el);
    if (state) {
      // Someone (e.g. a GSAP autoAlpha tween) rewrote the property we own: that is the new original.
      if (state.mode === "display" && el.style.getPropertyValue("display") !== "none") state.saved.display = el.style.getPropertyValue("display");
      if (state.mode === "visibility" && el.style.getPropertyValue("visibility") !== "hidden") state.saved.visibility = el.style.getPropertyValue("visibility");
      if (state.mode === mode) return;
      restoreInline(el, state.saved);
    } else {
      state = { saved: saveInline(el), mode };
      this.hidden.set(el, state);
    }
    state.mode = mode;
    if (mode === "display") el.style.setProperty("display", "none", "important");
    else el.style.setProperty("visibility", "hidden", "important");
  }

  private show(el: HTMLElement): void {
    const state = this.hidden.get(el);
    if (!state) return;
    this.hidden.delete(el);
    restoreInline(el, state.saved);
  }

  apply(t: number): void {
    const { timing } = this;
    const root = timing.rootElement();
    const timed = document.querySelectorAll<HTMLElement>("[data-start], [data-hidden]");
    const hiddenSet = new Set<HTMLElement>();
    for (let i = 0; i < timed.length; i++) {
      const el = timed[i]!;
      if (el === root || NEVER_VISIBLE[el.tagName]) continue;
      if (el.hasAttribute("data-hidden")) {
        hiddenSet.add(el);
        continue;
      }
      if (!timing.inWindow(el, t)) {
        hiddenSet.add(el);
        continue;
      }
      for (let a = el.parentElement; a && a !== root; a = a.parentElement) {
        if (a.hasAttribute("data-start") && !timing.inWindow(a, t)) {
          hiddenSet.add(el);
          break;
        }
      }
    }
    // Read every layout-dependent value before writing any style (no forced recalc per element).
    const modes = new Map<HTMLElement, HideMode>();
    hiddenSet.forEach((node) => {
      if (node.hasAttribute("data-hidden")) {
        modes.set(node, hideModeFor(true, "", false));
        return;
      }
      modes.set(node, hideModeFor(false, getComputedStyle(node).position, !!node.querySelector("[data-start]")));
    });
    for (let j = 0; j < timed.length; j++) {
      const node = timed[j]!;
      if (node === root || NEVER_VISIBLE[node.tagName]) continue;
      const mode = modes.get(node);
      if (mode) this.hide(node, mode);
      else this.show(node);
    }
  }
}
