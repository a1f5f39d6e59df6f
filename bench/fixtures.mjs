// Bench compositions, written into temp project dirs (GSAP copied from node_modules).
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

const require = createRequire(import.meta.url);

/**
 * CAPTURE-NOTES.md's test page: 10 shadowed texts, 20 gradient boxes with two shadows, one GSAP timeline.
 * `animated`: the fraction of the duration the tweens run (1: moving throughout; 0.5: moving for the
 * first half, then every frame the same as the last moving one, see holdHalfProject).
 */
export function gsapTextProject({ width = 1920, height = 1080, duration = 5, fps = 30, animated = 1 } = {}) {
  if (!(animated > 0 && animated <= 1)) throw new Error(`gsapTextProject: animated must be in (0, 1], got ${animated}`);
  const moving = Math.round(duration * animated * 1e6) / 1e6;
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
for (let i = 0; i < 20; i++) tl.to("#b" + i, { x: 120, rotation: 45, duration: ${moving}, ease: "none" }, 0);
for (let i = 0; i < 10; i++) tl.fromTo("#t" + i, { x: -60, opacity: 0.2 }, { x: 60, opacity: 1, duration: ${moving}, ease: "none" }, 0);
window.__timelines = { bench: tl };
</script></body></html>`,
  );
  return dir;
}

/**
 * "hold-half": gsapTextProject's page and motion, but the tweens end at half the duration and the
 * second half holds the last pose (nothing on the page changes): what damage-aware frame reuse is
 * for. Compare with gsapTextProject of the same duration, which moves throughout.
 */
export function holdHalfProject(options = {}) {
  return gsapTextProject({ ...options, animated: 0.5 });
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

/**
 * A timed video clip under animated DOM, 1920x1080: a `seconds`-long 1280x720 clip (ffmpeg lavfi
 * testsrc2, 30 fps) filling the frame (object-fit: cover), a title and a lower third over it.
 * transfer "sdr": H.264 yuv420p BT.709, an SDR render with the video composited (layered capture).
 * transfer "pq": HEVC Main 10 BT.2020 PQ (as test/helpers/hdr.ts makeClip: desaturated, blurred,
 * luma halved so every pixel stays below 203-nit white), so the render is HDR10.
 */
export function videoClipProject({ transfer = "sdr", seconds = 2, width = 1920, height = 1080 } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "frameloom-bench-"));
  const clip = path.join(dir, "clip.mp4");
  const src = ["-f", "lavfi", "-i", `testsrc2=s=1280x720:r=30:d=${Math.ceil(seconds)}`];
  const codec =
    transfer === "pq"
      ? [
          "-vf", "hue=s=0.5,boxblur=2,format=yuv420p10le,lutyuv=y='64+(val-64)/2'",
          "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc",
          "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc", "-tag:v", "hvc1",
        ]
      : [
          "-vf", "format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18",
          "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv",
        ];
  execFileSync("ffmpeg", ["-v", "error", "-y", ...src, ...codec, clip], { stdio: ["ignore", "ignore", "inherit"] });
  writeFileSync(
    path.join(dir, "index.html"),
    `<!doctype html><html><head><meta charset="utf-8"><style>
*{margin:0;padding:0;box-sizing:border-box}
html,body{background:#000;overflow:hidden}
#root{position:relative;width:${width}px;height:${height}px;overflow:hidden;font-family:"DejaVu Sans",sans-serif;color:#fff}
#clip{position:absolute;left:0;top:0;width:${width}px;height:${height}px;object-fit:cover}
#title{position:absolute;left:120px;top:140px;font-size:96px;font-weight:700;text-shadow:0 4px 24px rgba(0,0,0,.6);animation:in 1s ease-out both}
#lower{position:absolute;left:0;bottom:120px;width:980px;padding:24px 48px;font-size:44px;
  background:linear-gradient(90deg,rgba(16,32,64,.92),rgba(16,32,64,.4));animation:slide .8s ease-out .5s both}
@keyframes in{from{opacity:0;transform:translateY(60px)}to{opacity:1;transform:none}}
@keyframes slide{from{transform:translateX(-1000px)}to{transform:none}}
</style></head><body>
<div id="root" data-composition-id="clip" data-width="${width}" data-height="${height}" data-duration="${seconds}" data-fps="30">
  <video id="clip" src="clip.mp4" muted data-start="0" data-duration="${seconds}"></video>
  <div id="title">${transfer === "pq" ? "HDR10 clip" : "Video clip"}</div>
  <div id="lower">A ${transfer === "pq" ? "PQ" : "BT.709"} clip under animated DOM</div>
</div></body></html>`,
  );
  return dir;
}
