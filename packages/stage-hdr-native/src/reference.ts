/**
 * The reference compositor: the same maths as the C++ addon in plain double-precision code, no tables.
 * It is the oracle for the native tests and a (slow) fallback when the addon is not built.
 */
import { placeLayer } from "./placement.js";
import { BT709_TO_BT2020 as M, REFERENCE_WHITE_NITS, transfer as tf } from "./transfer.js";
import { outputLength, type Layer, type ResolvedOptions } from "./types.js";

const KR = 0.2627;
const KB = 0.0593;
const KG = 1 - KR - KB;

function decodeVideo(code: number, t: "pq" | "hlg" | "sdr"): number {
  const e = code / 65535;
  if (t === "pq") return tf.pqDecode(e) / REFERENCE_WHITE_NITS;
  if (t === "hlg") return tf.hlgDecode(e) / REFERENCE_WHITE_NITS;
  return tf.sdrVideoToLinear(e);
}

/** Composites one frame (layers already validated). */
export function composeReference(layers: Layer[], o: ResolvedOptions): Buffer {
  const { width: W, height: H } = o;
  const lin = new Float64Array(W * H * 3); // black below the bottom layer
  const blend = (i: number, r: number, g: number, b: number, a: number): void => {
    lin[i] = r * a + lin[i] * (1 - a);
    lin[i + 1] = g * a + lin[i + 1] * (1 - a);
    lin[i + 2] = b * a + lin[i + 2] * (1 - a);
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
        blend(
          3 * p,
          M[0] * lr + M[1] * lg + M[2] * lb,
          M[3] * lr + M[4] * lg + M[5] * lb,
          M[6] * lr + M[7] * lg + M[8] * lb,
          a,
        );
      }
      continue;
    }
    const a = layer.opacity ?? 1;
    if (!(a > 0)) continue;
    const pl = placeLayer(layer.rect, layer.fit ?? "fill", layer.width, layer.height, W, H);
    const src = layer.rgb48;
    for (let y = pl.y0; y < pl.y1; y++) {
      const rowOffset = pl.srcY(y) * layer.width * 6;
      for (let x = pl.x0; x < pl.x1; x++) {
        const s = rowOffset + pl.srcX(x) * 6;
        let r = decodeVideo(src.readUInt16LE(s), layer.transfer);
        let g = decodeVideo(src.readUInt16LE(s + 2), layer.transfer);
        let b = decodeVideo(src.readUInt16LE(s + 4), layer.transfer);
        if (layer.transfer === "sdr") {
          [r, g, b] = [M[0] * r + M[1] * g + M[2] * b, M[3] * r + M[4] * g + M[5] * b, M[6] * r + M[7] * g + M[8] * b];
        }
        blend(3 * (y * W + x), r, g, b, a);
      }
    }
  }

  const encode = o.transfer === "pq" ? tf.pqEncode : tf.hlgEncode;
  const signal = new Float64Array(W * H * 3);
  for (let i = 0; i < signal.length; i++) signal[i] = encode(lin[i] * REFERENCE_WHITE_NITS);

  const out = Buffer.alloc(outputLength(o));
  if (o.output === "rgb48le") {
    for (let i = 0; i < signal.length; i++) out.writeUInt16LE(Math.round(signal[i] * 65535), 2 * i);
    return out;
  }
  // yuv420p10le: BT.2020 NCL on R'G'B', limited range; chroma = mean of each 2x2 block (co-sited top-left).
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
