import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { inflateSync } from "node:zlib";
import path from "node:path";

import { afterAll, describe, expect, it } from "vitest";

import { decodePng } from "./pngDecode.js";
import { ffmpeg } from "./testUtil.js";

const dir = mkdtempSync(path.join(tmpdir(), "flm-png-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function makePng(name: string, size: string, pixFmt: string, pred: string): Buffer {
  const file = path.join(dir, name);
  ffmpeg(["-f", "lavfi", "-i", `testsrc2=s=${size},format=${pixFmt}`, "-frames:v", "1", "-c:v", "png", "-pred", pred, file]);
  return readFileSync(file);
}

function ffmpegRgba(file: string): Buffer {
  return ffmpeg(["-i", file, "-f", "rawvideo", "-pix_fmt", "rgba", "-"]);
}

/** Which filter types the rows of a PNG use (inflate the IDATs ourselves). */
function filtersUsed(buf: Buffer, stride: number): Set<number> {
  const parts: Buffer[] = [];
  for (let pos = 8; pos < buf.length; ) {
    const len = buf.readUInt32BE(pos);
    if (buf.toString("latin1", pos + 4, pos + 8) === "IDAT") parts.push(buf.subarray(pos + 8, pos + 8 + len));
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(parts));
  const used = new Set<number>();
  for (let o = 0; o < raw.length; o += stride + 1) used.add(raw[o]);
  return used;
}

describe("decodePng vs ffmpeg", () => {
  const allFilters = new Set<number>();
  for (const pixFmt of ["rgba", "rgb24"]) {
    for (const pred of ["none", "sub", "up", "avg", "paeth", "mixed"]) {
      it(`${pixFmt}, -pred ${pred}`, () => {
        const name = `${pixFmt}-${pred}.png`;
        const png = makePng(name, "64x48", pixFmt, pred);
        const out = decodePng(png);
        expect(out.width).toBe(64);
        expect(out.height).toBe(48);
        expect(out.rgba.equals(ffmpegRgba(path.join(dir, name)))).toBe(true);
        for (const f of filtersUsed(png, 64 * (pixFmt === "rgba" ? 4 : 3))) allFilters.add(f);
      });
    }
  }
  it("exercised all five filter types", () => {
    expect([...allFilters].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("alpha is kept (transparent pixels)", () => {
    const file = path.join(dir, "alpha.png");
    ffmpeg(["-f", "lavfi", "-i", "color=c=black@0:s=40x30", "-vf", "format=rgba,geq=r='255':g='X*6':b='Y*8':a='if(lt(X,20),255,X*3)'", "-frames:v", "1", "-pred", "mixed", file]);
    const out = decodePng(readFileSync(file));
    expect(out.rgba.equals(ffmpegRgba(file))).toBe(true);
    expect(out.rgba[3]).toBe(255);
    expect(out.rgba[(30 * 40 + 0) * 4 - 4 + 3]).toBe(117);
  });

  it("several IDAT chunks", () => {
    // 1 MB of noise-like pixels: ffmpeg splits IDAT at its buffer size
    const png = makePng("big.png", "640x480", "rgba", "paeth");
    let idats = 0;
    for (let pos = 8; pos < png.length; ) {
      const len = png.readUInt32BE(pos);
      if (png.toString("latin1", pos + 4, pos + 8) === "IDAT") idats++;
      pos += 12 + len;
    }
    const out = decodePng(png);
    expect(out.rgba.equals(ffmpegRgba(path.join(dir, "big.png")))).toBe(true);
    // if ffmpeg wrote one IDAT only, split it ourselves into three chunks and decode again
    if (idats === 1) {
      const split = splitIdat(png, 3);
      expect(decodePng(split).rgba.equals(out.rgba)).toBe(true);
    }
  });

  it("refuses 16-bit and palette PNGs, naming what was found", () => {
    const f16 = path.join(dir, "rgb48.png");
    ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=16x16,format=rgb48be", "-frames:v", "1", f16]);
    expect(() => decodePng(readFileSync(f16))).toThrow(/FLM_ERR|bit depth 16, colour type 2/);
    try {
      decodePng(readFileSync(f16));
    } catch (e) {
      expect((e as { code: string }).code).toBe("FLM_ERR_HDR_COMPOSITE_PNG_UNSUPPORTED");
    }
    const pal = path.join(dir, "pal.png");
    ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=16x16,format=pal8", "-frames:v", "1", pal]);
    expect(() => decodePng(readFileSync(pal))).toThrow(/colour type 3 \(palette\)/);
    expect(() => decodePng(Buffer.from("not a png at all, clearly not a png"))).toThrow(/signature/);
  });

  it("decode time at 1920x1080 (report)", () => {
    const sizes: Record<string, number> = {};
    for (const [pred, pixFmt] of [["paeth", "rgba"], ["none", "rgba"], ["mixed", "rgb24"]]) {
      const png = makePng(`hd-${pred}-${pixFmt}.png`, "1920x1080", pixFmt, pred);
      decodePng(png); // warm up
      const n = 10;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) decodePng(png);
      sizes[`${pixFmt}/${pred} (${(png.length / 1024).toFixed(0)} KiB)`] = Number(((performance.now() - t0) / n).toFixed(1));
    }
    console.log("decodePng 1920x1080 ms/frame:", sizes);
  });
});

function splitIdat(png: Buffer, parts: number): Buffer {
  const out: Buffer[] = [png.subarray(0, 8)];
  for (let pos = 8; pos < png.length; ) {
    const len = png.readUInt32BE(pos);
    const type = png.toString("latin1", pos + 4, pos + 8);
    if (type === "IDAT") {
      const data = png.subarray(pos + 8, pos + 8 + len);
      const step = Math.ceil(len / parts);
      for (let o = 0; o < len; o += step) {
        const piece = data.subarray(o, Math.min(len, o + step));
        const head = Buffer.alloc(8);
        head.writeUInt32BE(piece.length, 0);
        head.write("IDAT", 4, "latin1");
        out.push(head, piece, Buffer.alloc(4));
      }
    } else out.push(png.subarray(pos, pos + 12 + len));
    pos += 12 + len;
  }
  return Buffer.concat(out);
}
