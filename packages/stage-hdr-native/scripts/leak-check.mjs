#!/usr/bin/env node
// Leak lane: a native compose loop over every layer kind / fit / output, plus the error paths, then close.
// Run under valgrind (see docs/hdr-native.md):
//   valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 node scripts/leak-check.mjs
import { createCompositor } from "../dist/index.js";

const W = 64, H = 36;
const dom = Buffer.alloc(W * H * 4);
for (let i = 0; i < dom.length; i++) dom[i] = (i * 37) & 255;
const vid = (w, h) => {
  const b = Buffer.alloc(w * h * 6);
  for (let i = 0; i < b.length; i += 2) b.writeUInt16LE((i * 7919) & 0xffff, i);
  return b;
};
const layers = [
  { kind: "video", rgb48: vid(W, H), width: W, height: H, transfer: "pq", rect: { x: 0, y: 0, width: W, height: H } },
  { kind: "video", rgb48: vid(13, 9), width: 13, height: 9, transfer: "hlg", fit: "cover", opacity: 0.5, rect: { x: -5.5, y: 3, width: 40, height: 50 } },
  { kind: "video", rgb48: vid(7, 5), width: 7, height: 5, transfer: "sdr", fit: "contain", rect: { x: 50, y: 20, width: 30, height: 30 } },
  { kind: "video", rgb48: vid(9, 9), width: 9, height: 9, transfer: "srgb", fit: "fill", rect: { x: 10, y: 10, width: 20, height: 12 } },
  { kind: "dom", rgba: dom },
];
for (const transfer of ["pq", "hlg", "sdr"]) {
  for (const output of ["rgb48le", "yuv420p10le", "rgba64le"]) {
    const c = createCompositor({ width: W, height: H, transfer, output, threads: 3 });
    for (let i = 0; i < 5; i++) await c.compose(layers);
    await c.compose([{ kind: "dom", rgba: Buffer.alloc(3) }]).catch(() => {});
    c.close();
  }
}
const dropped = createCompositor({ width: W, height: H, transfer: "pq", output: "rgb48le", threads: 2 });
await dropped.compose(layers); // never closed: the finalizer must free it
globalThis.gc?.();
console.log("leak-check: done");
