#!/usr/bin/env node
// Capture and end-to-end SDR speed, 1080p, in one run:
//  - the raw single-page seek + screenshot rate (puppeteer-core, raw CDP; JPEG q95 and PNG), the
//    baseline every route is compared with;
//  - JPEG q95 vs PNG: speed and PSNR of the JPEG against the PNG of the same frame;
//  - end-to-end renders through the Node API (set-up included) for each route and worker count,
//    with fixed start-up cost (time to first frame) and steady per-frame cost.
// Usage: node bench/capture.mjs [--frames 150] [--quick]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import puppeteer from "puppeteer-core";
import { chromiumArgs, findChromium, findFfmpeg } from "@frameloom/shared-helpers";
import { pageRuntimeScript, startFileServer, compileProject } from "@frameloom/stage-capture";
import { render } from "@frameloom/cli";
import { gsapTextProject, manyCutsProject } from "./fixtures.mjs";

const args = process.argv.slice(2);
const frames = Number(args[args.indexOf("--frames") + 1] || 150) || 150;
const quick = args.includes("--quick");
const duration = frames / 30;
const project = gsapTextProject({ duration });
const work = mkdtempSync(path.join(tmpdir(), "frameloom-bench-out-"));
const results = { frames, width: 1920, height: 1080, raw: {}, quality: {}, renders: [] };

async function rawRate(format, count) {
  const compiled = await compileProject(project);
  const server = await startFileServer({ root: compiled.projectDir, entryUrlPath: compiled.entryUrlPath, entryHtml: compiled.html });
  const browser = await puppeteer.launch({ executablePath: findChromium(), args: chromiumArgs(), headless: true, defaultViewport: null });
  try {
    const [page] = await browser.pages();
    await page.setViewport({ width: 1920, height: 1080 });
    await page.evaluateOnNewDocument(pageRuntimeScript({ fps: compiled.fps, compositionId: compiled.id, width: 1920, height: 1080 }));
    await page.goto(server.entryUrl, { waitUntil: "load" });
    await page.evaluate("window.__frameloom.ready()");
    const cdp = await page.createCDPSession();
    const shot = async (i) => {
      await cdp.send("Runtime.evaluate", { expression: `window.__frameloom.seek(${i / 30})`, awaitPromise: true });
      const r = await cdp.send("Page.captureScreenshot", { format, ...(format === "jpeg" ? { quality: 95 } : {}), optimizeForSpeed: true });
      return Buffer.from(r.data, "base64");
    };
    for (let i = 0; i < 5; i++) await shot(i);
    const t0 = performance.now();
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += (await shot(i)).length;
    const fps = count / ((performance.now() - t0) / 1000);
    const sample = await shot(60);
    return { fps: round(fps), kbPerFrame: Math.round(bytes / count / 1024), sample };
  } finally {
    await browser.close();
    await server.close();
  }
}

const round = (x) => Math.round(x * 100) / 100;

/** PSNR (dB, average over channels) of image a against reference b, by ffmpeg's psnr filter. */
function psnr(a, b) {
  const r = spawnSync(findFfmpeg(), ["-hide_banner", "-i", a, "-i", b, "-lavfi", "[0:v]format=rgb24[x];[1:v]format=rgb24[y];[x][y]psnr", "-f", "null", "-"], { encoding: "utf8" });
  const m = /average:([\d.]+|inf)/.exec(r.stderr);
  return m ? (m[1] === "inf" ? Infinity : Number(m[1])) : NaN;
}

const rawCount = quick ? 30 : 60;
const jpeg = await rawRate("jpeg", rawCount);
const png = await rawRate("png", rawCount);
writeFileSync(path.join(work, "a.jpg"), jpeg.sample);
writeFileSync(path.join(work, "b.png"), png.sample);
results.raw = {
  jpegQ95: { fps: jpeg.fps, kbPerFrame: jpeg.kbPerFrame },
  png: { fps: png.fps, kbPerFrame: png.kbPerFrame },
  jpegVsPngPsnrDb: round(psnr(path.join(work, "a.jpg"), path.join(work, "b.png"))),
};
console.log(`raw single page, seek + CDP screenshot (1920x1080, ${rawCount} frames):`);
console.log(`  JPEG q95  ${jpeg.fps} fps  ${jpeg.kbPerFrame} KB/frame`);
console.log(`  PNG       ${png.fps} fps  ${png.kbPerFrame} KB/frame`);
console.log(`  JPEG q95 vs PNG of the same frame: PSNR ${results.raw.jpegVsPngPsnrDb} dB`);

// Delivered quality: what the JPEG capture costs after x264 (CRF 18), against the PNG captures.
{
  const pngDir = path.join(work, "png");
  await render({ input: project, output: pngDir, preset: "png-sequence", frames: "0-29" });
  await render({ input: project, output: path.join(work, "q-jpeg.mp4"), frames: "0-29" });
  spawnSync(findFfmpeg(), ["-v", "error", "-y", "-framerate", "30", "-i", path.join(pngDir, "frame_%06d.png"), "-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p", "-c:v", "libx264", "-preset", "medium", "-crf", "18", "-bf", "0", path.join(work, "q-png.mp4")]);
  const delivered = (file) => {
    const r = spawnSync(findFfmpeg(), ["-hide_banner", "-i", file, "-framerate", "30", "-i", path.join(pngDir, "frame_%06d.png"), "-lavfi", "[0:v]scale=in_color_matrix=bt709:in_range=tv,format=rgb24[a];[1:v]format=rgb24[b];[a][b]psnr", "-f", "null", "-"], { encoding: "utf8" });
    return Number(/average:([\d.]+)/.exec(r.stderr)?.[1]);
  };
  results.quality = { jpegCaptureH264PsnrDb: round(delivered(path.join(work, "q-jpeg.mp4"))), pngCaptureH264PsnrDb: round(delivered(path.join(work, "q-png.mp4"))) };
  console.log(`  delivered H.264 (CRF 18) vs the PNG frames: JPEG capture ${results.quality.jpegCaptureH264PsnrDb} dB, PNG capture ${results.quality.pngCaptureH264PsnrDb} dB`);
}

const runs = quick
  ? [{ route: "streaming", workers: 1 }, { route: "streaming", workers: 2 }]
  : [
      { route: "streaming", workers: 1 },
      { route: "streaming", workers: 2 },
      { route: "disk", workers: 2 },
      { route: "sequential", workers: 1 },
    ];
console.log(`\nend to end, render() through the kernel (set-up included), ${frames} frames 1080p30, preset standard:`);
for (const run of runs) {
  const output = path.join(work, `${run.route}-${run.workers}.mp4`);
  const started = performance.now();
  let firstFrameAt = null;
  const summary = await render({
    input: project,
    output,
    route: run.route,
    workers: run.workers,
    onProgress: (e) => {
      if (firstFrameAt === null && e.stage === "capture" && e.framesDone > 0) firstFrameAt = performance.now() - started;
    },
  });
  const wallS = summary.wallMs / 1000;
  const steadyFps = firstFrameAt === null ? NaN : (frames - 1) / ((summary.wallMs - firstFrameAt) / 1000);
  const row = {
    ...run,
    wallS: round(wallS),
    fps: summary.fps,
    startupS: round((firstFrameAt ?? 0) / 1000),
    steadyFps: round(steadyFps),
    vsRawJpeg: round(summary.fps / jpeg.fps),
    perfStages: summary.perfStages,
  };
  results.renders.push(row);
  console.log(
    `  ${run.route.padEnd(10)} workers ${run.workers}: ${row.wallS} s, ${row.fps} fps (${row.vsRawJpeg}x raw JPEG), first frame after ${row.startupS} s, then ${row.steadyFps} fps`,
  );
}
// The other two HyperFrames reference cases (its wall time, set-up included, on this kind of machine).
if (!quick) {
  console.log(`\nHyperFrames 0.8.170 reference cases (workers auto, preset standard, set-up included):`);
  const cases = [
    { name: "1080x1920 many cuts, 168 frames", dir: manyCutsProject(), hyperframesS: 48.8 },
    { name: "640x360, 60 frames", dir: gsapTextProject({ width: 640, height: 360, duration: 2 }), hyperframesS: 13 },
  ];
  results.references = [];
  for (const c of cases) {
    const started = performance.now();
    const summary = await render({ input: c.dir, output: path.join(work, "ref.mp4") });
    const wallS = (performance.now() - started) / 1000;
    const row = { name: c.name, frames: summary.frames, wallS: round(wallS), fps: round(summary.frames / wallS), workers: summary.workers, hyperframesS: c.hyperframesS, speedup: round(c.hyperframesS / wallS) };
    results.references.push(row);
    console.log(`  ${c.name}: ${row.wallS} s (${row.fps} fps, ${row.workers} workers) vs HyperFrames ${c.hyperframesS} s: ${row.speedup}x`);
    rmSync(c.dir, { recursive: true, force: true });
  }
}
const best = Math.max(...results.renders.map((r) => r.fps));
console.log(`\nbest end-to-end: ${best} fps; target >= 5 fps (HyperFrames 0.8.170 here: 3.4-3.8 fps)`);
rmSync(project, { recursive: true, force: true });
rmSync(work, { recursive: true, force: true });
console.log(JSON.stringify(results));
