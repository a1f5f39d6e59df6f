/**
 * CSS animations, CSS transitions and Web Animations (COMPOSITION.md §3.5). Invariants: every
 * animation is paused and its currentTime set from composition time — a CSS animation from its
 * nearest timed element's start (itself or an ancestor clip or host, as HyperFrames' CSS adapter's
 * `el.closest("[data-start]")`), a Web Animation from the composition time it was created (or
 * first seen); CSS transitions jump to their end.
 */
import type { PageTiming } from "./timing.js";

export function animationsNow(): Animation[] {
  try {
    return document.getAnimations();
  } catch {
    return [];
  }
}

export function isCssAnimation(anim: Animation): boolean {
  return typeof CSSAnimation !== "undefined" && anim instanceof CSSAnimation;
}

export function isCssTransition(anim: Animation): boolean {
  return typeof CSSTransition !== "undefined" && anim instanceof CSSTransition;
}

export class AnimationSeeker {
  /** Composition time each Web Animation counts from. */
  private readonly baseline = new WeakMap<Animation, number>();

  constructor(
    private readonly timing: PageTiming,
    private readonly compTime: () => number,
    private readonly recordError: (err: unknown) => void,
  ) {}

  /** Web Animations start paused at 0, counted from the composition time they were created at. */
  install(): void {
    const realAnimate = Element.prototype.animate;
    if (!realAnimate) return;
    const baseline = this.baseline;
    const compTime = this.compTime;
    Element.prototype.animate = function animate(this: Element, ...args: Parameters<Element["animate"]>): Animation {
      const anim = realAnimate.apply(this, args);
      try {
        baseline.set(anim, compTime());
        anim.pause();
        anim.currentTime = 0;
      } catch {
        // A detached or odd target: it is seeked like any other later.
      }
      return anim;
    };
  }

  private cssStart(anim: Animation): number {
    const target = anim.effect && (anim.effect as KeyframeEffect).target;
    const timed = target && target.closest ? target.closest("[data-start]") : null;
    return timed ? this.timing.start(timed) : 0;
  }

  seek(t: number): void {
    for (const anim of animationsNow()) {
      try {
        if (isCssTransition(anim)) {
          anim.finish();
          continue;
        }
        let ms: number;
        if (isCssAnimation(anim)) {
          ms = Math.max(0, t - this.cssStart(anim)) * 1000;
        } else {
          if (!this.baseline.has(anim)) this.baseline.set(anim, t);
          ms = Math.max(0, t - this.baseline.get(anim)!) * 1000;
        }
        anim.pause();
        anim.currentTime = ms;
      } catch (err) {
        this.recordError(err);
      }
    }
  }

  /** The latest end (s, composition time) of every finite animation (CSS transitions aside). */
  ends(): number {
    let max = 0;
    for (const anim of animationsNow()) {
      if (isCssTransition(anim) || !anim.effect) continue;
      const end = anim.effect.getComputedTiming().endTime;
      if (typeof end !== "number" || !isFinite(end)) continue;
      const offset = isCssAnimation(anim) ? this.cssStart(anim) : this.baseline.has(anim) ? this.baseline.get(anim)! : this.compTime();
      max = Math.max(max, offset + end / 1000);
    }
    return max;
  }
}
