/** Test helpers (not exported from the package): compare two composited frames. */

/** Max difference of the 16-bit words of two frames after `>> shift` (6: 10-bit comparison of rgb48le). */
export function maxDiff(a: Buffer, b: Buffer, shift: number): number {
  const x = new Uint16Array(a.buffer, a.byteOffset, a.byteLength / 2);
  const y = new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs((x[i] >> shift) - (y[i] >> shift)));
  return m;
}

/**
 * rgba64le: max colour difference at 10 bits where both alphas are > 0, max alpha difference at 16 bits, and the
 * number of pixels with alpha 0 but a colour other than 0 (in either frame).
 */
export function rgbaDiff(a: Buffer, b: Buffer): { colour: number; alpha: number; colourWithoutAlpha: number } {
  const x = new Uint16Array(a.buffer, a.byteOffset, a.byteLength / 2);
  const y = new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2);
  let colour = 0;
  let alpha = 0;
  let colourWithoutAlpha = 0;
  for (let p = 0; p < x.length; p += 4) {
    alpha = Math.max(alpha, Math.abs(x[p + 3] - y[p + 3]));
    for (let c = 0; c < 3; c++) {
      if ((x[p + 3] === 0 && x[p + c] !== 0) || (y[p + 3] === 0 && y[p + c] !== 0)) colourWithoutAlpha++;
      if (x[p + 3] > 0 && y[p + 3] > 0) colour = Math.max(colour, Math.abs((x[p + c] >> 6) - (y[p + c] >> 6)));
    }
  }
  return { colour, alpha, colourWithoutAlpha };
}

/**
 * Native vs reference distance: max difference at 10 bits (rgba64le: colour where alpha > 0, and alpha at 16 bits;
 * a colour where alpha is 0 counts as 1000). Tests want <= 1.
 */
export function outputDiff(a: Buffer, b: Buffer, output: "rgb48le" | "yuv420p10le" | "rgba64le"): number {
  if (a.byteLength !== b.byteLength) return Infinity;
  if (output !== "rgba64le") return maxDiff(a, b, output === "yuv420p10le" ? 0 : 6);
  const d = rgbaDiff(a, b);
  return d.colourWithoutAlpha > 0 ? 1000 : Math.max(d.colour, d.alpha);
}
