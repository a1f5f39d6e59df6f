// The cases bench/peer-hyperframes.mjs renders with Frameloom and HyperFrames: each make(dir)
// writes a project (index.html + assets) into dir.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { gsapTextProject, manyCutsProject } from "../fixtures.mjs";

const require = createRequire(import.meta.url);

/** The DejaVu Sans file of a style ("" or ":bold"): fontconfig's answer, else Debian's path. */
function dejavu(style) {
  const r = spawnSync("fc-match", ["-f", "%{file}", `DejaVu Sans${style}`], { encoding: "utf8" });
  const file = r.status === 0 && /DejaVuSans(-Bold)?\.ttf$/.test(r.stdout) ? r.stdout : `/usr/share/fonts/truetype/dejavu/DejaVuSans${style ? "-Bold" : ""}.ttf`;
  if (!existsSync(file)) throw new Error(`DejaVu Sans${style} not found (fonts-dejavu-core; \`frameloom doctor --fix\` installs it)`);
  return file;
}

/**
 * Pins the projects' text rendering so that both renderers draw the same glyphs:
 *  - the font, DejaVu Sans 400 and 700, declared with @font-face from files inside the project:
 *    otherwise HyperFrames' compiler swaps "DejaVu Sans" for Inter (its font alias map injects
 *    @font-face rules for families the page does not declare), PSNR ≈ 21 dB;
 *  - `text-rendering: geometricPrecision`, which HyperFrames' compiler injects into every page:
 *    without it in the project, Frameloom lays text out with hinted metrics and glyph edges sit up
 *    to 1 px apart, PSNR ≈ 30 dB at 640×360.
 */
function pinText(dir) {
  mkdirSync(path.join(dir, "assets/fonts"), { recursive: true });
  cpSync(dejavu(""), path.join(dir, "assets/fonts/DejaVuSans.ttf"));
  cpSync(dejavu(":bold"), path.join(dir, "assets/fonts/DejaVuSans-Bold.ttf"));
  const faces = `<style>
@font-face{font-family:"DejaVu Sans";font-weight:400;font-style:normal;src:url("assets/fonts/DejaVuSans.ttf") format("truetype")}
@font-face{font-family:"DejaVu Sans";font-weight:700;font-style:normal;src:url("assets/fonts/DejaVuSans-Bold.ttf") format("truetype")}
html,body,*{text-rendering:geometricPrecision}
</style>`;
  const file = path.join(dir, "index.html");
  const html = readFileSync(file, "utf8");
  if (!html.includes("<style>")) throw new Error(`${file}: no <style> to put the @font-face rules before`);
  writeFileSync(file, html.replace("<style>", `${faces}<style>`));
}

/** Moves a bench/fixtures.mjs project (made under os.tmpdir()) into `dir` and pins its text rendering. */
function adopt(made, dir) {
  cpSync(made, dir, { recursive: true });
  rmSync(made, { recursive: true, force: true });
  pinText(dir);
}

/**
 * 1080p, a PQ HDR video under animated DOM: a full-frame 1280×720 HEVC Main 10 clip tagged
 * BT.2020 / SMPTE ST 2084 (test/helpers/hdr.ts makeClip: testsrc2 desaturated, blurred, luma halved),
 * scaled with object-fit: cover, and on top a GSAP title, a sliding lower third and a CSS-animated badge.
 * The overlays are timed clips (data-start/data-duration): HyperFrames' HDR layered compositor
 * stacks only `[data-start]` elements, so untimed DOM counts as part of the root's layer, which it
 * paints below the video: the overlays vanish from every frame (PSNR ≈ 29 dB against Frameloom).
 */
function hdrProject(dir, { seconds, ffmpeg }) {
  mkdirSync(path.join(dir, "assets"), { recursive: true });
  cpSync(require.resolve("gsap/dist/gsap.min.js"), path.join(dir, "assets/gsap.min.js"));
  execFileSync(ffmpeg, [
    "-v", "error", "-y", "-f", "lavfi", "-i", `testsrc2=s=1280x720:r=30:d=${seconds}`,
    "-vf", "hue=s=0.5,boxblur=2,format=yuv420p10le,lutyuv=y='64+(val-64)/2'",
    "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc",
    "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc", "-tag:v", "hvc1",
    path.join(dir, "assets/clip.mp4"),
  ], { stdio: ["ignore", "ignore", "inherit"] });
  writeFileSync(
    path.join(dir, "index.html"),
    `<!doctype html><html><head><meta charset="utf-8"><style>
*{margin:0;padding:0;box-sizing:border-box}
html,body{background:#000;overflow:hidden}
#root{position:relative;width:1920px;height:1080px;overflow:hidden;font-family:"DejaVu Sans",sans-serif}
#bg{position:absolute;left:0;top:0;width:1920px;height:1080px;object-fit:cover}
#title{position:absolute;left:120px;top:160px;color:#fff;font-size:96px;font-weight:700;text-shadow:0 4px 24px rgba(0,0,0,.6)}
#lower{position:absolute;left:0;bottom:120px;width:980px;height:120px;padding:24px 48px;color:#fff;font-size:44px;
  background:linear-gradient(90deg,rgba(16,32,64,.92),rgba(16,32,64,.4))}
#badge{position:absolute;right:80px;bottom:80px;padding:12px 24px;border-radius:12px;background:#fff;color:#000;font-size:32px;font-weight:700;
  animation:pulse 1s ease-in-out infinite alternate}
@keyframes pulse{from{transform:scale(1)}to{transform:scale(1.15)}}
</style><script src="assets/gsap.min.js"></script></head><body>
<div id="root" data-composition-id="hdr" data-width="1920" data-height="1080" data-duration="${seconds}" data-fps="30">
  <video id="bg" src="assets/clip.mp4" muted data-start="0" data-duration="${seconds}"></video>
  <div id="title" class="clip" data-start="0" data-duration="${seconds}">HDR under DOM</div>
  <div id="lower" class="clip" data-start="0" data-duration="${seconds}">Lower third over a PQ clip</div>
  <div id="badge" class="clip" data-start="0" data-duration="${seconds}">HDR10</div>
</div>
<script>
const tl = gsap.timeline({ paused: true });
tl.fromTo("#title", { y: 60, opacity: 0 }, { y: 0, opacity: 1, duration: 1, ease: "power2.out" }, 0);
tl.fromTo("#lower", { x: -1000 }, { x: 0, duration: 0.8, ease: "power1.out" }, 0.3);
tl.to("#title", { x: 200, duration: ${seconds - 1}, ease: "none" }, 1);
window.__timelines = { hdr: tl };
</script></body></html>`,
  );
  pinText(dir);
}

/** name → { title, width, height, frames, hdr, make(dir, { ffmpeg }) } */
export const CASES = {
  gsap: {
    title: "1080p GSAP text, 4 s",
    width: 1920, height: 1080, frames: 120, hdr: false,
    make: (dir) => adopt(gsapTextProject({ duration: 4 }), dir),
  },
  cuts: {
    title: "1080x1920 portrait, 12 cuts, 5.6 s",
    width: 1080, height: 1920, frames: 168, hdr: false,
    make: (dir) => adopt(manyCutsProject({ frames: 168, scenes: 12 }), dir),
  },
  small: {
    title: "640x360 GSAP text, 2 s",
    width: 640, height: 360, frames: 60, hdr: false,
    make: (dir) => adopt(gsapTextProject({ width: 640, height: 360, duration: 2 }), dir),
  },
  hdr: {
    title: "1080p PQ HEVC clip under animated DOM, 2 s",
    width: 1920, height: 1080, frames: 60, hdr: true,
    make: (dir, { ffmpeg }) => hdrProject(dir, { seconds: 2, ffmpeg }),
  },
};
