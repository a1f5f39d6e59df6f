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
