// measureContentLight with real ffmpeg on clips written from Node (exact PQ / HLG codes, known peaks and averages).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SharedErrors, runProcess } from "@frameloom/shared-helpers";
import { hlgDisplayNits, measureContentLight, pqCodeForNits } from "./contentLight.js";
import { PlanErrors } from "./errors.js";

const W = 320;
const H = 180;
const FPS = 30;
const PATCH = { x: 64, y: 64, size: 64 }; // even-aligned, so 4:2:0 chroma never straddles its edge
const inPatch = (x: number, y: number) => x >= PATCH.x && x < PATCH.x + PATCH.size && y >= PATCH.y && y < PATCH.y + PATCH.size;
const PATCH_SHARE = (PATCH.size * PATCH.size) / (W * H);

let dir: string;
const file = (name: string) => path.join(dir, name);

/** One gbrp16le frame (planes G, B, R) from non-linear codes 0..1 per pixel. */
function frame(rgb: (x: number, y: number) => [number, number, number]): Buffer {
  const plane = W * H;
  const out = Buffer.alloc(plane * 6);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const [r, g, b] = rgb(x, y);
      const i = (y * W + x) * 2;
      out.writeUInt16LE(Math.round(g * 65535), i);
      out.writeUInt16LE(Math.round(b * 65535), plane * 2 + i);
      out.writeUInt16LE(Math.round(r * 65535), plane * 4 + i);
    }
  }
  return out;
}

const grey = (v: number): [number, number, number] => [v, v, v];

/** Encodes raw frames to a tagged 10-bit file (yuv, given range) with `codec` args. */
async function encode(name: string, frames: Buffer[], o: { trc: "smpte2084" | "arib-std-b67"; pixFmt: string; range: "limited" | "full"; codec: string[] }) {
  const z = `zscale=matrix=2020_ncl:range=${o.range}:transferin=${o.trc}:transfer=${o.trc}:primariesin=2020:primaries=2020:chromal=center`;
  await runProcess("ffmpeg", [
    "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gbrp16le", "-s", `${W}x${H}`, "-r", String(FPS), "-i", "pipe:0",
    "-vf", `${z},format=${o.pixFmt}`, ...o.codec,
    "-color_primaries", "bt2020", "-color_trc", o.trc, "-colorspace", "bt2020nc", "-color_range", o.range === "limited" ? "tv" : "pc",
    file(name),
  ], { input: Buffer.concat(frames) });
}

const HEVC_LOSSLESS = ["-c:v", "libx265", "-x265-params", "lossless=1:log-level=error"];
const FFV1 = ["-c:v", "ffv1"];

const BG = 100; // nits
/** Expected frame average of light for the grey clip: patch at `patch` nits over the 100-nit background. */
const greyAverage = (patch: number) => PATCH_SHARE * patch + (1 - PATCH_SHARE) * BG;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "flm-light-"));
  // PQ HEVC, 2 s: a 300-nit patch in the first second, 600 nits in the second, over 100-nit grey.
  const first = frame((x, y) => grey(pqCodeForNits(inPatch(x, y) ? 300 : BG)));
  const second = frame((x, y) => grey(pqCodeForNits(inPatch(x, y) ? 600 : BG)));
  await encode("pq.mp4", [...Array(FPS).fill(first), ...Array(FPS).fill(second)], { trc: "smpte2084", pixFmt: "yuv420p10le", range: "limited", codec: HEVC_LOSSLESS });
  // PQ 4:4:4 full range: a pure red 600-nit patch over black (light is max(R, G, B), not luminance).
  const red = frame((x, y) => (inPatch(x, y) ? [pqCodeForNits(600), 0, 0] : [0, 0, 0]));
  await encode("red-full.mkv", Array(10).fill(red), { trc: "smpte2084", pixFmt: "yuv444p10le", range: "full", codec: FFV1 });
  // HLG: a 90 % grey patch over 50 % grey.
  const hlg = frame((x, y) => grey(inPatch(x, y) ? 0.9 : 0.5));
  await encode("hlg.mkv", Array(10).fill(hlg), { trc: "arib-std-b67", pixFmt: "yuv420p10le", range: "limited", codec: FFV1 });
  // Stills: a 1-frame video, and a 16-bit PNG of PQ codes (its tags do not matter: the caller names the transfer).
  await encode("one.mkv", [second], { trc: "smpte2084", pixFmt: "yuv420p10le", range: "limited", codec: FFV1 });
  await runProcess("ffmpeg", ["-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gbrp16le", "-s", `${W}x${H}`, "-i", "pipe:0", "-pix_fmt", "rgb48be", file("still.png")], { input: second });
  await writeFile(file("junk.mp4"), "not a video");
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Within `pct` % of `expected`. */
const near = (actual: number, expected: number, pct: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual((expected * pct) / 100);

describe("measureContentLight (real ffmpeg)", () => {
  it("PQ HEVC: MaxCLL is the 600-nit patch, MaxFALL the frame average; every frame measured", async () => {
    const r = await measureContentLight([{ path: file("pq.mp4"), transfer: "pq", windows: [{ from: 0, to: 2 }] }], {});
    near(r.maxCll, 600, 1);
    near(r.maxFall, Math.round(greyAverage(600)), 1); // ≈ 136
    expect(r.method).toBe("measured 60 of 60 frames of 1 source; DOM at 203 nits");
  });

  it("windows keep to the frames shown: the first second peaks at 300 nits, the second at 600", async () => {
    const early = await measureContentLight([{ path: file("pq.mp4"), transfer: "pq", windows: [{ from: 0, to: 1 }] }], {});
    near(early.maxCll, 300, 1);
    near(early.maxFall, greyAverage(300), 1); // ≈ 114
    expect(early.method).toMatch(/^measured 30 of 30 frames/);
    // From mid-frame 29 (shown at 0.99 s): that frame is still the 300-nit one.
    const edge = await measureContentLight([{ path: file("pq.mp4"), transfer: "pq", windows: [{ from: 0.99, to: 0.999 }] }], {});
    near(edge.maxCll, 300, 1);
    const late = await measureContentLight([{ path: file("pq.mp4"), transfer: "pq", windows: [{ from: 1, to: 2 }] }], {});
    near(late.maxCll, 600, 1);
  });

  it("a window past the end holds the last frame", async () => {
    const r = await measureContentLight([{ path: file("pq.mp4"), transfer: "pq", windows: [{ from: 5, to: 6 }] }], {});
    near(r.maxCll, 600, 1);
    expect(r.method).toMatch(/^measured 1 of 1 frames/);
  });

  it("samples evenly above maxFramesPerSource and says so; the peak survives sampling", async () => {
    const r = await measureContentLight([{ path: file("pq.mp4"), transfer: "pq", windows: [{ from: 0, to: 0.5 }, { from: 1, to: 2 }] }], { maxFramesPerSource: 9 });
    near(r.maxCll, 600, 1);
    // 45 frames held (15 + 30): budgets 3 and 6.
    expect(r.method).toBe("measured 9 of 45 frames of 1 source; DOM at 203 nits");
  });

  it("coverage mixes DOM at domNits into MaxFALL; DOM brighter than the sources sets MaxCLL", async () => {
    const half = await measureContentLight([{ path: file("pq.mp4"), transfer: "pq", windows: [{ from: 0, to: 2 }], coverage: 0.5 }], {});
    near(half.maxFall, 0.5 * greyAverage(600) + 0.5 * 203, 1); // ≈ 169
    const dim = await measureContentLight([{ path: file("pq.mp4"), transfer: "pq", windows: [{ from: 0, to: 1 }] }], { domNits: 400 });
    expect(dim.maxCll).toBe(400);
    const domOnly = await measureContentLight([{ path: file("pq.mp4"), transfer: "pq", windows: [{ from: 0, to: 1 }] }], { domOnlyFrames: true });
    expect(domOnly.maxFall).toBe(203);
    expect(domOnly.method).toContain("DOM-only frames");
  });

  it("light is max(R, G, B) after undoing the BT.2020 matrix at the source's (full) range", async () => {
    const r = await measureContentLight([{ path: file("red-full.mkv"), transfer: "pq", windows: [{ from: 0, to: 1 }] }], { domNits: 0 });
    near(r.maxCll, 600, 1.5);
    near(r.maxFall, PATCH_SHARE * 600, 2); // ≈ 43: black elsewhere
  });

  it("HLG: display light at 1000 nits through the BT.2100 OOTF", async () => {
    const r = await measureContentLight([{ path: file("hlg.mkv"), transfer: "hlg", windows: [{ from: 0, to: 1 }] }], { domNits: 0 });
    const patch = hlgDisplayNits(0.9, 0.9, 0.9); // ≈ 522
    near(r.maxCll, patch, 1.5);
    near(r.maxFall, PATCH_SHARE * patch + (1 - PATCH_SHARE) * hlgDisplayNits(0.5, 0.5, 0.5), 1.5);
  });

  it("stills: one frame of a 1-frame video (still: true) and of a 16-bit PNG (found by codec)", async () => {
    const r = await measureContentLight(
      [
        { path: file("one.mkv"), transfer: "pq", windows: [{ from: 3, to: 4 }], still: true },
        { path: file("still.png"), transfer: "pq", windows: [{ from: 0, to: 10 }], coverage: 0.25 },
      ],
      {},
    );
    near(r.maxCll, 600, 1);
    near(r.maxFall, 0.25 * greyAverage(600) + 0.75 * 203, 1); // the PNG's bound (≈ 186) beats the video's 136
    expect(r.method).toBe("measured 2 of 2 frames of 2 sources (2 still); DOM at 203 nits");
    const png = await measureContentLight([{ path: file("still.png"), transfer: "pq", windows: [{ from: 0, to: 1 }] }], {});
    expect(png.maxCll).toBe(600); // RGB in, no matrix: exact
  });

  it("an unreadable or missing file is FLM_ERR_PLAN_LIGHT_MEASURE naming the file (not its directory)", async () => {
    for (const name of ["junk.mp4", "missing.mov"]) {
      const error = await measureContentLight([{ path: file(name), transfer: "pq", windows: [{ from: 0, to: 1 }] }], {}).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: PlanErrors.LIGHT_MEASURE, details: { path: file(name) } });
      expect((error as Error).message).toContain(name);
      expect((error as Error).message).not.toContain(dir);
    }
  });

  it("an abort while measuring rejects with FLM_ERR_ABORTED", async () => {
    const controller = new AbortController();
    const pending = measureContentLight([{ path: file("pq.mp4"), transfer: "pq", windows: [{ from: 0, to: 2 }] }], { signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    await expect(pending).rejects.toMatchObject({ code: SharedErrors.ABORTED });
  });
});
