/**
 * A small, fast PNG decoder for what Chromium's `Page.captureScreenshot({ format: "png" })` produces:
 * 8-bit RGBA (colour type 6) or RGB (colour type 2), non-interlaced, any of the five filter types,
 * any number of IDAT chunks. Output is always RGBA (RGB gets alpha 255). CRCs are not checked
 * (the input comes from our own Chromium); structure and sizes are.
 */
import { inflateSync } from "node:zlib";

import { FrameloomError } from "@frameloom/shared-helpers";

import { CompositeErrors } from "./errors.js";

export interface DecodedPng {
  width: number;
  height: number;
  /** width·height·4 bytes, straight alpha. */
  rgba: Buffer;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const COLOUR_TYPES: Record<number, string> = { 0: "greyscale", 2: "RGB", 3: "palette", 4: "greyscale+alpha", 6: "RGBA" };

function invalid(message: string): FrameloomError {
  return new FrameloomError(CompositeErrors.PNG_INVALID, `PNG decode: ${message}`);
}

export function decodePng(buf: Buffer): DecodedPng {
  if (buf.length < 8 + 25 || !buf.subarray(0, 8).equals(SIGNATURE)) throw invalid("not a PNG (bad signature)");
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  let sawHeader = false;
  while (pos + 8 <= buf.length) {
    const length = buf.readUInt32BE(pos);
    const type = buf.toString("latin1", pos + 4, pos + 8);
    const start = pos + 8;
    const end = start + length;
    if (end + 4 > buf.length) throw invalid(`chunk ${type} runs past the end of the data`);
    if (type === "IHDR") {
      if (length !== 13) throw invalid("IHDR chunk has the wrong length");
      width = buf.readUInt32BE(start);
      height = buf.readUInt32BE(start + 4);
      const depth = buf[start + 8];
      const colour = buf[start + 9];
      const interlace = buf[start + 12];
      const found = `bit depth ${depth}, colour type ${colour} (${COLOUR_TYPES[colour] ?? "unknown"}), ${interlace ? "Adam7 interlaced" : "not interlaced"}`;
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) {
        throw new FrameloomError(
          CompositeErrors.PNG_UNSUPPORTED,
          `PNG decode: only 8-bit RGB/RGBA non-interlaced PNGs are supported; found ${found}`,
          { details: { depth, colour, interlace } },
        );
      }
      if (width === 0 || height === 0) throw invalid(`zero size ${width}x${height}`);
      channels = colour === 6 ? 4 : 3;
      sawHeader = true;
    } else if (type === "IDAT") {
      if (!sawHeader) throw invalid("IDAT before IHDR");
      idat.push(buf.subarray(start, end));
    } else if (type === "IEND") {
      break;
    }
    pos = end + 4;
  }
  if (!sawHeader) throw invalid("no IHDR chunk");
  if (idat.length === 0) throw invalid("no IDAT chunk");

  const stride = width * channels;
  const expected = (stride + 1) * height;
  let raw: Buffer;
  try {
    raw = inflateSync(idat.length === 1 ? idat[0] : Buffer.concat(idat), { chunkSize: Math.max(64 * 1024, expected + 1) });
  } catch (error) {
    throw invalid(`zlib data is corrupt: ${(error as Error).message}`);
  }
  if (raw.length < expected) throw invalid(`image data is ${raw.length} bytes, expected ${expected} for ${width}x${height}`);

  unfilter(new Uint8Array(raw.buffer, raw.byteOffset, raw.length), stride, height, channels);

  const rgba = Buffer.allocUnsafe(width * height * 4);
  if (channels === 4) {
    for (let y = 0; y < height; y++) raw.copy(rgba, y * stride, y * (stride + 1) + 1, (y + 1) * (stride + 1));
  } else {
    let o = 0;
    for (let y = 0; y < height; y++) {
      let i = y * (stride + 1) + 1;
      const rowEnd = i + stride;
      while (i < rowEnd) {
        rgba[o] = raw[i];
        rgba[o + 1] = raw[i + 1];
        rgba[o + 2] = raw[i + 2];
        rgba[o + 3] = 255;
        i += 3;
        o += 4;
      }
    }
  }
  return { width, height, rgba };
}

/** Reverses the per-row filters in place; row y's bytes start at y·(stride+1)+1 after its filter byte. */
function unfilter(raw: Uint8Array, stride: number, height: number, bpp: number): void {
  const rowLen = stride + 1;
  for (let y = 0; y < height; y++) {
    const f = raw[y * rowLen];
    const s = y * rowLen + 1; // this row
    const e = s + stride;
    switch (f) {
      case 0:
        break;
      case 1: // Sub
        for (let i = s + bpp; i < e; i++) raw[i] = (raw[i] + raw[i - bpp]) & 255;
        break;
      case 2: // Up
        if (y > 0) for (let i = s; i < e; i++) raw[i] = (raw[i] + raw[i - rowLen]) & 255;
        break;
      case 3: // Average
        if (y === 0) {
          for (let i = s + bpp; i < e; i++) raw[i] = (raw[i] + (raw[i - bpp] >> 1)) & 255;
        } else {
          for (let i = s; i < s + bpp; i++) raw[i] = (raw[i] + (raw[i - rowLen] >> 1)) & 255;
          for (let i = s + bpp; i < e; i++) raw[i] = (raw[i] + ((raw[i - bpp] + raw[i - rowLen]) >> 1)) & 255;
        }
        break;
      case 4: // Paeth
        if (y === 0) {
          // b = c = 0: predictor is a (left)
          for (let i = s + bpp; i < e; i++) raw[i] = (raw[i] + raw[i - bpp]) & 255;
        } else {
          // one channel at a time: left (a) and upper-left (c) stay in registers
          for (let ch = 0; ch < bpp; ch++) {
            let i = s + ch;
            let c = raw[i - rowLen];
            let a = (raw[i] + c) & 255;
            raw[i] = a;
            for (i += bpp; i < e; i += bpp) {
              const b = raw[i - rowLen];
              const pa0 = b - c;
              const pb0 = a - c;
              const pa = pa0 < 0 ? -pa0 : pa0;
              const pb = pb0 < 0 ? -pb0 : pb0;
              const pc0 = pa0 + pb0;
              const pc = pc0 < 0 ? -pc0 : pc0;
              a = (raw[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
              raw[i] = a;
              c = b;
            }
          }
        }
        break;
      default:
        throw invalid(`row ${y} has unknown filter type ${f}`);
    }
  }
}
