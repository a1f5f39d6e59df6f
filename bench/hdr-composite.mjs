#!/usr/bin/env node
// HDR composite throughput: one PQ video layer (full frame) + one DOM layer (~30 % opaque pixels).
// Prints frames/s for native (1 thread / all threads, yuv420p10le and rgb48le), the TS reference, and a plain
// Buffer copy of the same bytes (inputs + output: the memory-bandwidth ceiling). Last line: one JSON object.
// `*_cpu` = frames per second of process CPU time (user + sys, all threads): on a shared machine this is the
// load-independent figure (for the 1-thread runs it is frames per core-second, JS and the output Buffer included).
// Usage: node bench/hdr-composite.mjs   (after `npm run build`)
import { availableParallelism } from "node:os";

import { createCompositor } from "../packages/stage-hdr-native/dist/index.js";

const ALL = availableParallelism();
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);

function stack(W, H) {
  const rgb48 = Buffer.alloc(W * H * 6);
  for (let i = 0; i < W * H * 3; i++) rgb48.writeUInt16LE(((((i * 2654435761) >>> 0) % 1024) << 6) | 15, 2 * i);
  const rgba = Buffer.alloc(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const lowerThird = y >= H * 0.75; // 25 % of the frame, plus a logo box ~5 %
      const logo = x >= W * 0.8 && x < W * 0.95 && y >= H * 0.05 && y < H * 0.25;
      if (!lowerThird && !logo) continue;
      const i = 4 * (y * W + x);
      rgba[i] = 240;
      rgba[i + 1] = (x * 255) / W;
      rgba[i + 2] = 40;
      rgba[i + 3] = lowerThird && y < H * 0.77 ? 128 : 255; // a soft edge
    }
  }
  return [
    { kind: "video", rgb48, width: W, height: H, transfer: "pq", rect: { x: 0, y: 0, width: W, height: H } },
    { kind: "dom", rgba },
  ];
}

let lastCpuFps = 0;
async function fps(fn, minFrames, seconds) {
  await fn();
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (n < minFrames || performance.now() - t0 < seconds * 1000) {
    await fn();
    n++;
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  lastCpuFps = (n * 1e6) / (cpu.user + cpu.system);
  return (n * 1000) / wall;
}

const results = { hardwareThreads: ALL };
for (const [label, W, H] of [["1080p", 1920, 1080], ["2160p", 3840, 2160]]) {
  const layers = stack(W, H);
  const r = {};
  for (const output of ["yuv420p10le", "rgb48le"]) {
    for (const threads of [1, ALL]) {
      const c = createCompositor({ width: W, height: H, transfer: "pq", output, threads });
      const key = `native_${output}_${threads === 1 ? "1t" : "all"}`;
      r[key] = await fps(() => c.compose(layers), 5, SECONDS);
      r[`${key}_cpu`] = lastCpuFps;
      c.close();
    }
  }
  const ref = createCompositor({ width: W, height: H, transfer: "pq", output: "yuv420p10le", implementation: "reference" });
  r.reference_yuv420p10le = await fps(() => ref.compose(layers), 1, 0);
  const src = Buffer.concat([layers[0].rgb48, layers[1].rgba]);
  const dst = Buffer.allocUnsafe(src.length + W * H * 3);
  r.buffer_copy = await fps(async () => {
    src.copy(dst);
    dst.fill(0, src.length);
  }, 5, SECONDS / 2);
  r.native_vs_reference = r.native_yuv420p10le_1t / r.reference_yuv420p10le;
  for (const [k, v] of Object.entries(r)) console.log(`${label} ${k.padEnd(26)} ${v.toFixed(1)}${k.includes("vs") ? "x" : " fps"}`);
  results[label] = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v * 10) / 10]));
}
console.log(JSON.stringify(results));
