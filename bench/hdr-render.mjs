#!/usr/bin/env node
// HDR end-to-end render speed, modelled on HyperFrames' HDR regression fixture: 1920×1080, 180 frames
// (6 s at 30 fps), a full-frame PQ video (1280×720 HEVC, scaled with object-fit: cover), a PQ still
// (AVIF: ffmpeg 5.1's PNG encoder cannot write a cICP chunk, so a 16-bit PNG comes out untagged), and
// DOM on top (an animated title, a lower third sliding in, a static badge).
// Renders through the Node API with workers 1, 2 and auto; wall time includes set-up (browser launch,
// probing), not the making of the fixture. Reference: HyperFrames renders this in 209 s = 0.86 fps.
// Usage: node bench/hdr-render.mjs [--frames 180] [--workers 1,2,auto] [--compositor native|reference]
// The last line printed is one JSON object.
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { render } from "@frameloom/cli";

const HYPERFRAMES_FPS = 0.86;
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const frames = Number(opt("--frames", "180")) || 180;
const workerList = opt("--workers", "1,2,auto").split(",").map((w) => (w === "auto" ? "auto" : Number(w)));
const compositor = opt("--compositor", "native");
const seconds = frames / 30;

const work = mkdtempSync(path.join(tmpdir(), "frameloom-bench-hdr-"));
const project = path.join(work, "project");
mkdirSync(project);
const ff = (argv) => execFileSync("ffmpeg", ["-v", "error", "-y", ...argv], { stdio: ["ignore", "ignore", "inherit"] });
const probe = (file) =>
  execFileSync("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height,pix_fmt,color_transfer,color_primaries", "-of", "json", file]).toString();

const t0 = performance.now();
ff([
  "-f", "lavfi", "-i", `testsrc2=s=1280x720:r=30:d=${Math.ceil(seconds)}`,
  "-vf", "hue=s=0.5,boxblur=2,format=yuv420p10le",
  "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc",
  "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc", "-tag:v", "hvc1",
  path.join(project, "clip.mp4"),
]);
ff([
  "-f", "lavfi", "-i", "testsrc2=s=640x360", "-frames:v", "1", "-vf", "hue=s=0.7,format=yuv420p10le",
  "-c:v", "libaom-av1", "-still-picture", "1", "-cpu-used", "8",
  "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc", path.join(project, "photo.avif"),
]);
const photoProbe = JSON.parse(probe(path.join(project, "photo.avif"))).streams[0];
if (photoProbe.color_transfer !== "smpte2084") throw new Error(`photo.avif is not tagged PQ: ${JSON.stringify(photoProbe)}`);
const fixtureMs = Math.round(performance.now() - t0);

writeFileSync(
  path.join(project, "index.html"),
  `<!doctype html>
<html><head><meta charset="utf-8">
<style>
* { margin:0; padding:0; box-sizing:border-box; }
html, body { background:#000; overflow:hidden; }
#root { position:relative; width:1920px; height:1080px; overflow:hidden; }
#bg { position:absolute; left:0; top:0; width:1920px; height:1080px; object-fit:cover; }
#photo { position:absolute; right:80px; top:80px; width:640px; height:360px; border-radius:0; }
#title { position:absolute; left:120px; top:160px; color:#fff; font:bold 96px sans-serif; text-shadow:0 4px 24px rgba(0,0,0,.6);
  animation: title-in 1.2s cubic-bezier(.2,.8,.2,1) both, title-glow 3s ease-in-out 1.2s infinite alternate; }
@keyframes title-in { from { opacity:0; transform:translateY(60px) scale(.9); } to { opacity:1; transform:none; } }
@keyframes title-glow { from { letter-spacing:0; } to { letter-spacing:6px; } }
#lower { position:absolute; left:0; bottom:120px; width:980px; height:120px; padding:24px 48px; color:#fff;
  background:linear-gradient(90deg, rgba(16,32,64,.92), rgba(16,32,64,.4)); font:44px sans-serif;
  animation: lower-in .8s ease-out 1s both; }
#lower small { display:block; font-size:24px; opacity:.8; }
@keyframes lower-in { from { transform:translateX(-1000px); } to { transform:none; } }
#badge { position:absolute; right:80px; bottom:80px; padding:12px 24px; border-radius:12px; background:#ffffff; color:#000; font:bold 32px sans-serif; }
</style></head><body>
<div id="root" data-composition-id="hdr-bench" data-width="1920" data-height="1080" data-duration="${seconds}">
  <video id="bg" src="clip.mp4" muted data-start="0" data-duration="${seconds}"></video>
  <img id="photo" src="photo.avif">
  <div id="title">HDR Frameloom</div>
  <div id="lower">Lower third: PQ video + PQ still<small>BT.2020 · SMPTE ST 2084 · 203-nit graphics white</small></div>
  <div id="badge">HDR10</div>
</div>
</body></html>`,
);

const renders = [];
for (const workers of workerList) {
  const output = path.join(work, `out-w${workers}.mp4`);
  const warnings = [];
  const started = performance.now();
  const summary = await render({ input: project, output, workers, hdrCompositor: compositor, onWarning: (m) => warnings.push(m) });
  const wallMs = Math.round(performance.now() - started);
  const fps = Math.round((frames / (wallMs / 1000)) * 100) / 100;
  const out = JSON.parse(probe(output)).streams[0];
  const row = {
    workers,
    workersUsed: summary.workers,
    frames: summary.frames,
    wallMs,
    summaryWallMs: summary.wallMs,
    fps,
    vsHyperFrames: Math.round((fps / HYPERFRAMES_FPS) * 100) / 100,
    perfStages: summary.perfStages,
    hdr: summary.hdr,
    preset: summary.preset,
    output: `${out.codec_name} ${out.pix_fmt} ${out.color_primaries}/${out.color_transfer}`,
    warnings,
    load1: Math.round(loadavg()[0] * 100) / 100,
  };
  renders.push(row);
  console.log(
    `workers=${String(workers).padEnd(4)} used=${summary.workers} ${frames} frames in ${(wallMs / 1000).toFixed(1)} s = ${fps} fps ` +
      `(${row.vsHyperFrames}× HyperFrames' ${HYPERFRAMES_FPS} fps) perfStages=${JSON.stringify(summary.perfStages)} load1=${row.load1} ${row.output}`,
  );
}
rmSync(work, { recursive: true, force: true });
console.log(JSON.stringify({ bench: "hdr-render", width: 1920, height: 1080, frames, compositor, cores: cpus().length, fixtureMs, hyperframesFps: HYPERFRAMES_FPS, renders }));
