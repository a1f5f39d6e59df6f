#!/usr/bin/env node
// SDR video compositing: "inject" (the decoded frame set into the page as an <img> styled like the video, one JPEG
// screenshot per frame) vs "layered" (transparent PNG captures of the DOM below and above the video, composited in
// C++). A 1080×1920 portrait composition with one full-width video at its own size (no resampling; rounded, under a title and a caption that moves
// every frame, so the layered path captures both DOM layers each frame, as in a typical project), 150 frames
// at 30 fps, 1 worker, `draft` preset (BENCH_PRESET; x264 ultrafast, so the encoder does not hide the capture); the modes are interleaved (ROUNDS rounds, default 2). Prints frames/s end to
// end (set-up included) and capture-stage ms per mode, and the PSNR of inject vs layered (ffmpeg psnr, all frames) over
// the whole frame and over the inside of the video (no rounded corners, which layered ignores, and no caption, which
// layered blends in linear light where the browser blends sRGB codes).
// Last line: one JSON object. Usage: node bench/video-compositing.mjs   (after `npm run build`)
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { render } from "../packages/cli/dist/index.js";

const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PRESET = process.env.BENCH_PRESET ?? "draft";
const FRAMES = Number(process.env.BENCH_FRAMES ?? 150);
const W = 1080;
const H = 1920;

const root = mkdtempSync(path.join(tmpdir(), "flm-bench-video-"));
process.env.TMPDIR = root;
try {
  const dir = path.join(root, "project");
  await run("mkdir", ["-p", dir]);
  const seconds = FRAMES / 30;
  await run("ffmpeg", [
    "-v", "error", "-y", "-f", "lavfi", "-i", `testsrc2=s=1080x1350:r=30:d=${seconds + 1}`,
    "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
    "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", path.join(dir, "clip.mp4"),
  ]);
  writeFileSync(
    path.join(dir, "index.html"),
    `<!doctype html><html><head><meta charset="utf-8"><style>
* { margin:0; padding:0; box-sizing:border-box; }
html, body { background:#101820; overflow:hidden; }
#root { position:relative; width:${W}px; height:${H}px; overflow:hidden; background:linear-gradient(#203040, #101820); }
h1 { position:absolute; left:60px; top:120px; width:960px; color:#fff; font:700 72px sans-serif; }
video { position:absolute; left:0; top:300px; width:1080px; height:1350px; object-fit:cover; border-radius:32px; }
p { position:absolute; left:60px; top:1480px; width:960px; color:#ffd200; font:600 56px sans-serif; background:rgba(0,0,0,.5); padding:20px;
    animation:slide ${seconds}s linear both; }
@keyframes slide { from { transform:translateX(-40px); } to { transform:translateX(40px); } }
</style></head><body>
<div id="root" data-composition-id="bench" data-width="${W}" data-height="${H}" data-duration="${seconds}">
  <h1>Portrait video bench</h1>
  <video id="v" src="clip.mp4" muted data-start="0" data-duration="${seconds}"></video>
  <p>A caption over the video</p>
</div></body></html>`,
  );
  const results = { inject: [], layered: [] };
  const outputs = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of ["inject", "layered"]) {
      const output = path.join(root, `${mode}-${round}.mp4`);
      const summary = await render({ input: dir, output, preset: PRESET, workers: 1, videoCompositing: mode });
      results[mode].push({ fps: summary.fps, wallMs: summary.wallMs, captureMs: summary.perfStages.captureMs });
      console.log(`${mode} round ${round}: ${summary.frames} frames, ${summary.fps} fps, wall ${summary.wallMs} ms, capture ${summary.perfStages.captureMs} ms`);
      outputs[mode] = output;
    }
  }
  const psnrOf = async (crop) => {
    const graph = crop ? `[0:v]crop=${crop}[a];[1:v]crop=${crop}[b];[a][b]psnr` : "[0:v][1:v]psnr";
    const { stderr } = await run("ffmpeg", ["-v", "info", "-i", outputs.layered, "-i", outputs.inject, "-lavfi", graph, "-f", "null", "-"], {
      maxBuffer: 64 * 1024 * 1024,
    });
    const m = /PSNR .*average:(inf|[\d.]+) min:(inf|[\d.]+)/.exec(stderr);
    return m ? { average: m[1], min: m[2] } : null;
  };
  const psnr = { frame: await psnrOf(null), videoInside: await psnrOf("1000:1100:40:340") };
  console.log(`PSNR inject vs layered: whole frame average ${psnr.frame?.average} dB (min ${psnr.frame?.min}); inside the video ${psnr.videoInside?.average} dB (min ${psnr.videoInside?.min})`);
  const best = (mode) => Math.max(...results[mode].map((r) => r.fps));
  console.log(JSON.stringify({ frames: FRAMES, width: W, height: H, inject: results.inject, layered: results.layered, bestFps: { inject: best("inject"), layered: best("layered") }, psnr }));
} finally {
  delete process.env.TMPDIR;
  rmSync(root, { recursive: true, force: true });
}
