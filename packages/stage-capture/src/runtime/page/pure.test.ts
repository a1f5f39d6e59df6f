// The in-page modules' pure rules, run in Node (no browser): seeded random, clip windows, hide
// modes, damage URL/CSS/animation rules, paint order, HyperFrames adapter and text helpers.
import { describe, expect, it } from "vitest";
import { cssHasAnimatedImage, isPossiblyAnimatedImageUrl, sameAnimationTiming } from "./damage.js";
import { frameShown } from "./frameInjector.js";
import { lottieLength, wrapFrame } from "./hfAdapters.js";
import { declaredDefaults, fitFontSize, lineCount } from "./hfGlobals.js";
import { borderRadii, compareKeys, cyrb53, formsStackingContext, mediaFit, paintBucket, type PaintStyle } from "./layerPlanner.js";
import { SeededRandom, seedForMs } from "./random.js";
import { inClipWindow, isTimeline, nearlyEqual } from "./timing.js";
import { hideModeFor } from "./visibility.js";

/** The canonical Mulberry32 (Tommy Ettinger's), for comparison. */
function mulberry32(a: number): () => number {
  return () => {
    let t = (a = (a + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("seeded random", () => {
  it("seeds from floor(ms) with HyperFrames' hash; negative and non-numbers are 0", () => {
    expect(seedForMs(0)).toBe(0x9e3779b9 | 0);
    expect(seedForMs(1000)).toBe((Math.imul(1000, -1640531527) + 0x9e3779b9) | 0);
    expect(seedForMs(1000.9)).toBe(seedForMs(1000));
    expect(seedForMs(-5)).toBe(seedForMs(0));
    expect(seedForMs(Number.NaN)).toBe(seedForMs(0));
  });

  it("draws Mulberry32 from that seed, the same sequence after every reseed", () => {
    const rng = new SeededRandom();
    rng.reseed(33.333);
    const ref = mulberry32(seedForMs(33));
    const first = [rng.next(), rng.next(), rng.next()];
    expect(first).toEqual([ref(), ref(), ref()]);
    rng.reseed(33);
    expect([rng.next(), rng.next(), rng.next()]).toEqual(first);
    for (const x of first) expect(x >= 0 && x < 1).toBe(true);
  });

  it("fills 4 bytes per draw little-endian, then a byte per draw; uuid is version 4", () => {
    const rng = new SeededRandom();
    rng.reseed(0);
    const bytes = rng.fill(new Uint8Array(6));
    const ref = mulberry32(seedForMs(0));
    const word = (ref() * 4294967296) >>> 0;
    expect(Array.from(bytes.subarray(0, 4))).toEqual([word & 255, (word >>> 8) & 255, (word >>> 16) & 255, word >>> 24]);
    expect(bytes[4]).toBe((ref() * 256) | 0);
    expect(bytes[5]).toBe((ref() * 256) | 0);
    expect(rng.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(rng.fill(null)).toBeNull();
  });
});

describe("clip windows", () => {
  const rate = 30;
  it("is half-open [start, end) with edges snapped to frames", () => {
    expect(inClipWindow(1, 1, () => 1, rate)).toBe(true);
    expect(inClipWindow(29 / 30, 1, () => 1, rate)).toBe(false);
    expect(inClipWindow(59 / 30, 1, () => 1, rate)).toBe(true);
    expect(inClipWindow(2, 1, () => 1, rate)).toBe(false);
    // 0.2 + 0.1 = 0.30000000000000004 snaps to 9/30: frame 9 is in.
    expect(inClipWindow(9 / 30, 0.2 + 0.1, () => null, rate)).toBe(true);
    // An authored 0.4667 snaps to 14/30.
    expect(inClipWindow(14 / 30, 0.4667, () => null, rate)).toBe(true);
    expect(inClipWindow(13 / 30, 0.4667, () => null, rate)).toBe(false);
  });

  it("open-ended without a duration; the duration is not read before the start", () => {
    expect(inClipWindow(1000, 0, () => null, rate)).toBe(true);
    let asked = false;
    expect(inClipWindow(0, 1, () => ((asked = true), 1), rate)).toBe(false);
    expect(asked).toBe(false);
  });

  it("nearlyEqual allows a few ulps only", () => {
    expect(nearlyEqual(0.1 + 0.2, 0.3)).toBe(true);
    expect(nearlyEqual(1, 1 + 1e-9)).toBe(false);
  });

  it("recognises GSAP-like timelines", () => {
    expect(isTimeline({ totalTime: () => 0, duration: () => 1 })).toBe(true);
    expect(isTimeline({ duration: () => 1 })).toBe(false);
    expect(isTimeline(null)).toBe(false);
  });
});

describe("hide modes", () => {
  it("display:none only for in-flow elements without timed descendants, and for data-hidden", () => {
    expect(hideModeFor(true, "absolute", true)).toBe("display");
    expect(hideModeFor(false, "static", false)).toBe("display");
    expect(hideModeFor(false, "relative", false)).toBe("display");
    expect(hideModeFor(false, "", false)).toBe("display");
    expect(hideModeFor(false, "static", true)).toBe("visibility");
    expect(hideModeFor(false, "absolute", false)).toBe("visibility");
    expect(hideModeFor(false, "fixed", false)).toBe("visibility");
  });
});

describe("damage rules", () => {
  it("treats GIF / APNG / WebP / SVG sources (and data: URLs of them) as possibly animated", () => {
    for (const url of ["a.gif", "/x/b.GIF?v=2", "c.apng#f", "d.webp", "e.svg", "data:image/gif;base64,R0lG", "data:image/svg+xml,<svg/>"]) {
      expect(isPossiblyAnimatedImageUrl(url)).toBe(true);
    }
    for (const url of ["a.png", "b.jpg", "gif.png", "data:image/png;base64,xx", ""]) expect(isPossiblyAnimatedImageUrl(url)).toBe(false);
  });

  it("finds such url(…) in CSS text", () => {
    expect(cssHasAnimatedImage(".a { background-image: url(\"spin.gif\") }")).toBe(true);
    expect(cssHasAnimatedImage(".a { background: url( 'x.webp' ) no-repeat }")).toBe(true);
    expect(cssHasAnimatedImage(".a { background: url(x.png), url(y.jpg) }")).toBe(false);
  });

  it("compares animation timing by identity, progress, iteration and play state", () => {
    const anim = {} as Animation;
    const other = {} as Animation;
    const snap = (a: Animation, progress: number | null, playState = "paused") => ({ anim: a, progress, iteration: 0, playState });
    expect(sameAnimationTiming([snap(anim, 1)], [snap(anim, 1)])).toBe(true);
    expect(sameAnimationTiming([snap(anim, 0.5)], [snap(anim, 1)])).toBe(false);
    expect(sameAnimationTiming([snap(anim, 1)], [snap(other, 1)])).toBe(false);
    expect(sameAnimationTiming([snap(anim, 1, "finished")], [snap(anim, 1)])).toBe(false);
    expect(sameAnimationTiming([snap(anim, null)], [])).toBe(false);
    expect(sameAnimationTiming([snap(anim, Number.NaN)], [snap(anim, Number.NaN)])).toBe(false);
  });
});

const style = (over: Partial<PaintStyle>): PaintStyle => ({
  position: "static", zIndex: "auto", display: "block", opacity: "1", transform: "none", translate: "none", rotate: "none",
  scale: "none", filter: "none", backdropFilter: "none", mixBlendMode: "normal", isolation: "auto", clipPath: "none",
  maskImage: "none", willChange: "auto", contain: "none", cssFloat: "none", ...over,
});

describe("layer planner paint order", () => {
  it("knows which elements form stacking contexts", () => {
    expect(formsStackingContext(true, style({}), null)).toBe(true);
    expect(formsStackingContext(false, style({}), null)).toBe(false);
    expect(formsStackingContext(false, style({ position: "relative", zIndex: "1" }), null)).toBe(true);
    expect(formsStackingContext(false, style({ position: "relative" }), null)).toBe(false);
    expect(formsStackingContext(false, style({ position: "fixed" }), null)).toBe(true);
    expect(formsStackingContext(false, style({ zIndex: "2" }), style({ display: "flex" }))).toBe(true);
    expect(formsStackingContext(false, style({ zIndex: "2" }), style({}))).toBe(false);
    expect(formsStackingContext(false, style({ opacity: "0.5" }), null)).toBe(true);
    expect(formsStackingContext(false, style({ transform: "matrix(1, 0, 0, 1, 5, 0)" }), null)).toBe(true);
    expect(formsStackingContext(false, style({ isolation: "isolate" }), null)).toBe(true);
    expect(formsStackingContext(false, style({ willChange: "transform" }), null)).toBe(true);
    expect(formsStackingContext(false, style({ contain: "paint" }), null)).toBe(true);
  });

  it("buckets by CSS 2.1 Appendix E and orders keys step by step", () => {
    expect(paintBucket(style({ position: "absolute", zIndex: "-1" }), true)).toEqual([1, -1]);
    expect(paintBucket(style({ position: "absolute", zIndex: "3" }), true)).toEqual([7, 3]);
    expect(paintBucket(style({ position: "relative" }), false)).toEqual([6, 0]);
    expect(paintBucket(style({ cssFloat: "left" }), false)).toEqual([4, 0]);
    expect(paintBucket(style({ display: "inline-block" }), false)).toEqual([5, 0]);
    expect(paintBucket(style({}), false)).toEqual([3, 0]);
    expect(compareKeys([[3, 0, 1]], [[3, 0, 2]])).toBeLessThan(0);
    expect(compareKeys([[7, 1, 1]], [[6, 0, 9]])).toBeGreaterThan(0);
    expect(compareKeys([[3, 0, 1]], [[3, 0, 1], [3, 0, 2]])).toBeLessThan(0);
  });

  it("hashes to 53-bit numbers, resolves radii, picks the media fit", () => {
    expect(cyrb53("a")).toBe(cyrb53("a"));
    expect(cyrb53("a")).not.toBe(cyrb53("b"));
    expect(Number.isSafeInteger(cyrb53("frameloom"))).toBe(true);
    expect(borderRadii(["0px", "0px", "0px", "0px"], 100, 50)).toBeNull();
    expect(borderRadii(["10%", "4px 2px", "0px", "0px"], 100, 50)).toEqual([10, 5, 4, 2, 0, 0, 0, 0]);
    expect(mediaFit("cover", "VIDEO")).toBe("cover");
    expect(mediaFit("none", "VIDEO")).toBe("contain");
    expect(mediaFit("none", "IMG")).toBe("fill");
  });
});

describe("HyperFrames helpers", () => {
  it("wraps looping frames, a remainder just under the length being 0", () => {
    expect(wrapFrame(31, 30)).toBe(1);
    expect(wrapFrame(29.9999999, 30)).toBe(0);
    expect(lottieLength({ goToAndStop() {}, totalFrames: 60, frameRate: 30 })).toBe(2);
    expect(lottieLength({ pause() {}, duration: 3 })).toBe(3);
    expect(lottieLength({})).toBeNull();
  });

  it("reads declared variable defaults", () => {
    const el = { getAttribute: () => '[{"id":"title","default":"Hi"},{"id":"n"},{"bad":1}]' } as unknown as Element;
    expect(declaredDefaults(el)).toEqual({ title: "Hi" });
    expect(declaredDefaults({ getAttribute: () => "not json" } as unknown as Element)).toEqual({});
    expect(declaredDefaults(null)).toEqual({});
  });

  it("counts greedy-wrapped lines and fits the largest size on one line", () => {
    const width = (s: string) => s.length * 10;
    expect(lineCount("aa bb cc", 50, width)).toBe(2);
    expect(lineCount("a\nb", 100, width)).toBe(2);
    expect(lineCount("abcdefghijkl", 50, width)).toBe(2);
    // One character per px of font size: "abcd" fits 100 px at sizes ≤ 25.
    const lines = (text: string, font: string, maxWidth: number) => lineCount(text, maxWidth, (s) => s.length * parseFloat(font.split(" ")[1]!));
    expect(fitFontSize("abcd", { maxWidth: 100, baseFontSize: 30, minFontSize: 10, step: 2 }, lines)).toEqual({ fontSize: 24, fits: true });
    expect(fitFontSize("abcdefghijkl", { maxWidth: 100, baseFontSize: 30, minFontSize: 20, step: 4 }, lines)).toEqual({ fontSize: 20, fits: false });
  });

  it("shows an injected frame only when there is one and the video would show", () => {
    expect(frameShown("k1", "block", "visible")).toBe(true);
    expect(frameShown(null, "block", "visible")).toBe(false);
    expect(frameShown("k1", "none", "visible")).toBe(false);
    expect(frameShown("k1", "block", "hidden")).toBe(false);
  });
});
