// Bench compositions, written into temp project dirs (GSAP copied from node_modules).
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

const require = createRequire(import.meta.url);

/** CAPTURE-NOTES.md's test page: 10 shadowed texts, 20 gradient boxes with two shadows, one GSAP timeline. */
export function gsapTextProject({ width = 1920, height = 1080, duration = 5, fps = 30 } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "frameloom-bench-"));
  mkdirSync(path.join(dir, "assets"));
  copyFileSync(require.resolve("gsap/dist/gsap.min.js"), path.join(dir, "assets/gsap.min.js"));
  const texts = Array.from({ length: 10 }, (_, i) =>
    `<div class="t" id="t${i}" style="left:${80 + (i % 2) * 900}px;top:${60 + i * 95}px">Frameloom headline ${i + 1}</div>`).join("\n");
  const boxes = Array.from({ length: 20 }, (_, i) =>
    `<div class="b" id="b${i}" style="left:${100 + (i % 5) * 340}px;top:${120 + Math.floor(i / 5) * 220}px"></div>`).join("\n");
  writeFileSync(
    path.join(dir, "index.html"),
    `<!doctype html><html><head><meta charset="utf-8"><style>
*{margin:0;padding:0;box-sizing:border-box}
html,body{background:#111827;overflow:hidden}
#root{position:relative;width:${width}px;height:${height}px;overflow:hidden;font-family:"DejaVu Sans",sans-serif}
.t{position:absolute;color:#f9fafb;font-size:44px;font-weight:700;text-shadow:0 4px 12px rgba(0,0,0,.6)}
.b{position:absolute;width:220px;height:160px;border-radius:18px;background:linear-gradient(135deg,#3a7bd5,#e94e77);
   box-shadow:0 10px 30px rgba(0,0,0,.5),0 0 0 4px rgba(255,255,255,.08)}
</style><script src="assets/gsap.min.js"></script></head><body>
<div id="root" data-composition-id="bench" data-width="${width}" data-height="${height}" data-duration="${duration}" data-fps="${fps}">
${boxes}
${texts}
</div>
<script>
const tl = gsap.timeline({ paused: true });
for (let i = 0; i < 20; i++) tl.to("#b" + i, { x: 120, rotation: 45, duration: ${duration}, ease: "none" }, 0);
for (let i = 0; i < 10; i++) tl.fromTo("#t" + i, { x: -60, opacity: 0.2 }, { x: 60, opacity: 1, duration: ${duration}, ease: "none" }, 0);
window.__timelines = { bench: tl };
</script></body></html>`,
  );
  return dir;
}

/** Portrait with many cuts: `scenes` timed clips one after another, each a card with text and a CSS animation. */
export function manyCutsProject({ width = 1080, height = 1920, frames = 168, scenes = 12 } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "frameloom-bench-"));
  const duration = frames / 30;
  const slot = duration / scenes;
  const cards = Array.from({ length: scenes }, (_, i) => {
    const hue = (i * 47) % 360;
    return `<section class="clip scene" data-start="${(i * slot).toFixed(4)}" data-duration="${slot.toFixed(4)}"
      style="background:linear-gradient(160deg,hsl(${hue},70%,45%),hsl(${(hue + 60) % 360},70%,20%))">
      <h1>Cut ${i + 1}</h1><p>Scene ${i + 1} of ${scenes}: a caption long enough to wrap on a portrait frame.</p>
      <div class="chip">#${String(i + 1).padStart(2, "0")}</div></section>`;
  }).join("\n");
  writeFileSync(
    path.join(dir, "index.html"),
    `<!doctype html><html><head><meta charset="utf-8"><style>
*{margin:0;padding:0;box-sizing:border-box}
html,body{background:#000;overflow:hidden}
#root{position:relative;width:${width}px;height:${height}px;overflow:hidden;font-family:"DejaVu Sans",sans-serif;color:#fff}
.scene{position:absolute;inset:0;padding:160px 90px}
h1{font-size:120px;animation:rise 0.6s ease-out both}
p{font-size:54px;line-height:1.3;margin-top:60px;text-shadow:0 4px 16px rgba(0,0,0,.5)}
.chip{position:absolute;right:90px;bottom:160px;padding:24px 40px;border-radius:60px;background:rgba(255,255,255,.15);font-size:48px;
  box-shadow:0 10px 30px rgba(0,0,0,.4);animation:spin 2s linear infinite}
@keyframes rise{from{transform:translateY(80px);opacity:0}to{transform:none;opacity:1}}
@keyframes spin{to{transform:rotate(360deg)}}
</style></head><body>
<div id="root" data-composition-id="cuts" data-width="${width}" data-height="${height}" data-duration="${duration}" data-fps="30">
${cards}
</div></body></html>`,
  );
  return dir;
}
