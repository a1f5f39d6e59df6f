/**
 * The reference compositor: the same maths as the C++ addon in plain double-precision code, no tables.
 * It is the oracle for the native tests and a (slow) fallback when the addon is not built.
 */
import { placeAffine, placeLayer } from "./placement.js";
import { BT2020_TO_BT709, BT709_TO_BT2020, REFERENCE_WHITE_NITS, transfer as tf } from "./transfer.js";
import { outputLength, type Layer, type ResolvedOptions, type SourceTransfer } from "./types.js";

function decodeVideo(code: number, t: SourceTransfer): number {
  const e = code / 65535;
  if (t === "pq") return tf.pqDecode(e) / REFERENCE_WHITE_NITS;
  if (t === "hlg") return tf.hlgDecode(e) / REFERENCE_WHITE_NITS;
  if (t === "srgb") return tf.srgbToLinear(e);
  return tf.sdrVideoToLinear(e);
}

/**
 * Composites one frame (layers already validated). Working space: BT.2020 linear for PQ / HLG output, BT.709 linear
 * for "sdr" output (blending is linear, so this equals blending in BT.2020 and converting back). Without alpha the
 * stack lies over black; for rgba64le over transparent: `lin` holds premultiplied colour (the same numbers as over
 * black), `cov` the coverage, and the output colour is lin / cov.
 */
export function composeReference(layers: Layer[], o: ResolvedOptions): Buffer {
  const { width: W, height: H } = o;
  const sdrOut = o.transfer === "sdr";
  const withAlpha = o.output === "rgba64le";
  const lin = new Float64Array(W * H * 3); // black below the bottom layer
  const cov = new Float64Array(W * H);
  const blend = (p: number, r: number, g: number, b: number, a: number): void => {
    const i = 3 * p;
    lin[i] = r * a + lin[i] * (1 - a);
    lin[i + 1] = g * a + lin[i + 1] * (1 - a);
    lin[i + 2] = b * a + lin[i + 2] * (1 - a);
    cov[p] = a + cov[p] * (1 - a);
  };
  for (const layer of layers) {
    if (layer.kind === "dom") {
      const px = layer.rgba;
      for (let p = 0; p < W * H; p++) {
        const a = px[4 * p + 3] / 255;
        if (a === 0) continue;
        const lr = tf.srgbToLinear(px[4 * p] / 255);
        const lg = tf.srgbToLinear(px[4 * p + 1] / 255);
        const lb = tf.srgbToLinear(px[4 * p + 2] / 255);
        if (sdrOut) {
          blend(p, lr, lg, lb, a);
          continue;
        }
        const M = BT709_TO_BT2020;
        blend(p, M[0] * lr + M[1] * lg + M[2] * lb, M[3] * lr + M[4] * lg + M[5] * lb, M[6] * lr + M[7] * lg + M[8] * lb, a);
      }
      continue;
    }
    const a = layer.opacity ?? 1;
    if (!(a > 0)) continue;
    const src = layer.rgb48;
    const bt709Source = layer.transfer === "sdr" || layer.transfer === "srgb";
    const M = bt709Source === sdrOut ? null : sdrOut ? BT2020_TO_BT709 : BT709_TO_BT2020;
    if (layer.transform || layer.radius) {
      // transformed / rounded: inverse affine per pixel centre, nearest source pixel, anti-aliased rounded-rect coverage
      const af = placeAffine(layer.rect, layer.fit ?? "fill", layer.width, layer.height, W, H, layer.transform, layer.radius);
      for (let y = af.y0; y < af.y1; y++) {
        for (let x = af.x0; x < af.x1; x++) {
          const { cov, sx, sy } = af.sample(x, y);
          if (!(cov > 0)) continue;
          const s = (sy * layer.width + sx) * 6;
          let r = decodeVideo(src.readUInt16LE(s), layer.transfer);
          let g = decodeVideo(src.readUInt16LE(s + 2), layer.transfer);
          let b = decodeVideo(src.readUInt16LE(s + 4), layer.transfer);
          if (M) [r, g, b] = [M[0] * r + M[1] * g + M[2] * b, M[3] * r + M[4] * g + M[5] * b, M[6] * r + M[7] * g + M[8] * b];
          blend(y * W + x, r, g, b, a * cov);
        }
      }
      continue;
    }
    const pl = placeLayer(layer.rect, layer.fit ?? "fill", layer.width, layer.height, W, H);
    for (let y = pl.y0; y < pl.y1; y++) {
      const rowOffset = pl.srcY(y) * layer.width * 6;
      for (let x = pl.x0; x < pl.x1; x++) {
        const s = rowOffset + pl.srcX(x) * 6;
        let r = decodeVideo(src.readUInt16LE(s), layer.transfer);
        let g = decodeVideo(src.readUInt16LE(s + 2), layer.transfer);
        let b = decodeVideo(src.readUInt16LE(s + 4), layer.transfer);
        if (M) [r, g, b] = [M[0] * r + M[1] * g + M[2] * b, M[3] * r + M[4] * g + M[5] * b, M[6] * r + M[7] * g + M[8] * b];
        blend(y * W + x, r, g, b, a);
      }
    }
  }

  const encode =
    o.transfer === "pq"
      ? (l: number) => tf.pqEncode(l * REFERENCE_WHITE_NITS)
      : o.transfer === "hlg"
        ? (l: number) => tf.hlgEncode(l * REFERENCE_WHITE_NITS)
        : tf.srgbEncode;
  const signal = new Float64Array(W * H * 3);
  for (let i = 0; i < signal.length; i++) {
    const c = withAlpha ? cov[Math.floor(i / 3)] : 1;
    signal[i] = c > 0 ? encode(lin[i] / c) : 0;
  }

  const out = Buffer.alloc(outputLength(o));
  if (o.output === "rgb48le") {
    for (let i = 0; i < signal.length; i++) out.writeUInt16LE(Math.round(signal[i] * 65535), 2 * i);
    return out;
  }
  if (withAlpha) {
    for (let p = 0; p < W * H; p++) {
      for (let c = 0; c < 3; c++) out.writeUInt16LE(Math.round(signal[3 * p + c] * 65535), 8 * p + 2 * c);
      out.writeUInt16LE(Math.round(Math.min(cov[p], 1) * 65535), 8 * p + 6);
    }
    return out;
  }
  // yuv420p10le: NCL on R'G'B' (BT.2020, or BT.709 for "sdr"), limited range; chroma = mean of each 2x2 block.
  const KR = sdrOut ? 0.2126 : 0.2627;
  const KB = sdrOut ? 0.0722 : 0.0593;
  const KG = 1 - KR - KB;
  const uOff = W * H * 2;
  const vOff = uOff + (W / 2) * (H / 2) * 2;
  const luma = (p: number): number => KR * signal[3 * p] + KG * signal[3 * p + 1] + KB * signal[3 * p + 2];
  for (let p = 0; p < W * H; p++) out.writeUInt16LE(Math.round(64 + 876 * luma(p)), 2 * p);
  for (let cy = 0; cy < H / 2; cy++) {
    for (let cx = 0; cx < W / 2; cx++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const p of [2 * cy * W + 2 * cx, 2 * cy * W + 2 * cx + 1, (2 * cy + 1) * W + 2 * cx, (2 * cy + 1) * W + 2 * cx + 1]) {
        r += signal[3 * p] / 4;
        g += signal[3 * p + 1] / 4;
        b += signal[3 * p + 2] / 4;
      }
      const yy = KR * r + KG * g + KB * b;
      const c = cy * (W / 2) + cx;
      out.writeUInt16LE(Math.round(512 + (896 * (b - yy)) / (2 * (1 - KB))), uOff + 2 * c);
      out.writeUInt16LE(Math.round(512 + (896 * (r - yy)) / (2 * (1 - KR))), vOff + 2 * c);
    }
  }
  return out;
}
