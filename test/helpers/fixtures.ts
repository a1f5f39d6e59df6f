/** Compositions shared by several tests. */
import { page } from "./sandbox.js";
import { near, pixel, type RgbaFrame } from "./media.js";

const BITS = 7;

/**
 * A page that paints its own frame index as 7 binary cells (white = 1) across the width, computed
 * from the rAF timestamp (virtual time): index = round(now · fps / 1000). Readable after any lossy encode.
 */
export function counterPage(opts: { duration: string; fpsNum: number; fpsDen?: number; width?: number; height?: number; id?: string }): string {
  const { width = 320, height = 180, fpsNum, fpsDen = 1 } = opts;
  const cell = Math.floor(width / BITS);
  const cells = Array.from({ length: BITS }, (_, b) => `<div class="blk bit" id="b${b}" style="left:${b * cell}px;width:${cell}px;top:0;height:${height}px"></div>`).join("\n");
  return page({
    id: opts.id ?? "counter",
    width,
    height,
    duration: opts.duration,
    extraRootAttrs: "data-no-timeline",
    body: cells,
    script: `
    const cells = [...document.querySelectorAll(".bit")];
    function tick(now) {
      const index = Math.round(now * ${fpsNum} / (1000 * ${fpsDen}));
      cells.forEach((c, b) => { c.style.background = (index >> b) & 1 ? "#fff" : "#000"; });
      requestAnimationFrame(tick);
    }
    requestAnimationFrame(tick);`,
  });
}

/** Reads the index painted by counterPage (throws when a cell is neither black nor white). */
export function readCounter(frame: RgbaFrame): number {
  const cell = Math.floor(frame.width / BITS);
  let value = 0;
  for (let b = 0; b < BITS; b++) {
    const p = pixel(frame, b * cell + cell / 2, frame.height / 2);
    if (near(p, [255, 255, 255], 40)) value |= 1 << b;
    else if (!near(p, [0, 0, 0], 40)) throw new Error(`counter cell ${b} is ${p.join(",")}: neither black nor white`);
  }
  return value;
}

/**
 * A 2.5 s GSAP + CSS + WAAPI composition with gradients and soft edges (a harder encode than flat blocks),
 * for comparing renders across routes and runs.
 */
export function animatedPage(): string {
  return page({
    id: "anim",
    width: 320,
    height: 180,
    duration: "2.5",
    gsap: true,
    bodyBg: "#102030",
    style: `
    #root { background: linear-gradient(135deg, #1d2b64, #f8cdda); }
    #a { width:60px; height:60px; top:20px; left:10px; border-radius:50%; background: radial-gradient(circle, #ffd166, #e94e77); }
    #b { width:80px; height:30px; top:110px; left:20px; background:#3a7bd5; animation: spin 2.5s linear both; }
    @keyframes spin { from { transform: rotate(0deg); } to { transform: rotate(360deg) translateX(150px); } }
    #c { width:40px; height:40px; top:60px; left:200px; background:#06d6a0; box-shadow: 0 0 12px #06d6a0; }
    #t { top:150px; left:120px; color:#fff; font: 16px sans-serif; }`,
    body: `<div class="blk" id="a"></div><div class="blk" id="b"></div><div class="blk" id="c"></div><div class="blk clip" id="t" data-start="0.8" data-duration="1">hello frames</div>`,
    script: `
    const tl = gsap.timeline({ paused: true });
    tl.to("#a", { x: 220, y: 60, duration: 2.5, ease: "power2.inOut" }, 0).to("#a", { opacity: 0.4, duration: 1 }, 1);
    window.__timelines = { anim: tl };
    document.getElementById("c").animate([{ transform: "scale(0.5)", opacity: 1 }, { transform: "scale(1.5) rotate(45deg)", opacity: 0.6 }],
      { duration: 2500, fill: "both", easing: "ease-in-out" });`,
  });
}

/** 320×180: a full-width HDR `<video id="hdr">` (clip.mp4, muted) under a white label sliding right. */
export function hdrVideoPage(duration = "1"): string {
  return page({
    duration,
    style: `#label { left:20px; top:20px; width:120px; height:30px; background:#fff; animation: move ${duration}s linear forwards; }
      @keyframes move { to { transform: translateX(150px); } }
      video { left:0; top:60px; width:320px; height:120px; }`,
    body: `<video class="blk" id="hdr" src="clip.mp4" muted data-start="0"></video><div class="blk" id="label"></div>`,
  });
}

/** 320×180 on a transparent page: a 70 %-opaque blue dot sliding right (alpha outputs). */
export function alphaDotPage(duration = "0.8"): string {
  return page({
    duration,
    bodyBg: "transparent",
    style: `#dot { left:20px; top:40px; width:80px; height:80px; border-radius:40px; background:rgba(0,160,255,0.7); animation: move ${duration}s linear forwards; }
      @keyframes move { to { transform: translateX(180px); } }`,
    body: `<div class="blk" id="dot"></div>`,
  });
}

/** A clip.mp4 (softened testsrc2 with a 440 Hz tone, H.264 + AAC) and a 0.3-gain tone.wav, for clip-and-audio projects. */
export function clipAndToneArgs(dir: string, clipSec: number, toneSec: number, toneHz: number): string[][] {
  return [
    // Softened test pattern (as makeClip's): what is measured is the render path, not x264 on a synthetic edge pattern.
    ["-f", "lavfi", "-i", `testsrc2=s=128x72:r=30:d=${clipSec}`, "-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${clipSec}`,
      "-vf", "hue=s=0.5,boxblur=2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", `${dir}/clip.mp4`],
    ["-f", "lavfi", "-i", `sine=frequency=${toneHz}:sample_rate=48000:duration=${toneSec}`, "-af", "volume=0.3", `${dir}/tone.wav`],
  ];
}
