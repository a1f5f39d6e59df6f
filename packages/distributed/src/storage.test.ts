import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isFrameloomError } from "@frameloom/shared-helpers";
import { DistributedErrors, sharedDirectoryStorage } from "./index.js";

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const root = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "frameloom-storage-test-"));
  scratch.push(dir);
  return dir;
};
const chunk = { from: 30, to: 60 };

async function writeTemp(storage: ReturnType<typeof sharedDirectoryStorage>, text: string): Promise<string> {
  const temp = storage.tempSegmentPath("abc123", chunk, "mp4");
  await mkdir(path.dirname(temp), { recursive: true });
  writeFileSync(temp, text);
  return temp;
}

describe("sharedDirectoryStorage", () => {
  it("keys segments by plan hash and range; temp paths sit next to them, unique, ending in the extension", () => {
    const dir = root();
    const s = sharedDirectoryStorage(dir);
    expect(s.segmentPath("abc123", chunk, "mp4")).toBe(path.join(dir, "segments/abc123/30-60.mp4"));
    expect(s.segmentPath("abc123", chunk, ".mp4")).toBe(path.join(dir, "segments/abc123/30-60.mp4"));
    const a = s.tempSegmentPath("abc123", chunk, "mp4");
    const b = s.tempSegmentPath("abc123", chunk, "mp4");
    expect(a).not.toBe(b);
    expect(path.dirname(a)).toBe(path.join(dir, "segments/abc123"));
    expect(a.endsWith(".mp4")).toBe(true);
  });

  it("hasSegment: false when missing or empty, true once committed; the temp file is gone", async () => {
    const s = sharedDirectoryStorage(root());
    expect(await s.hasSegment("abc123", chunk, "mp4")).toBe(false);
    const temp = await writeTemp(s, "frames 30-60");
    // A temp file is not a segment, nor is an empty file at the final name.
    expect(await s.hasSegment("abc123", chunk, "mp4")).toBe(false);
    writeFileSync(s.segmentPath("abc123", chunk, "mp4"), "");
    expect(await s.hasSegment("abc123", chunk, "mp4")).toBe(false);
    rmSync(s.segmentPath("abc123", chunk, "mp4"));
    const final = await s.commitSegment(temp, "abc123", chunk, "mp4");
    expect(final).toBe(s.segmentPath("abc123", chunk, "mp4"));
    expect(await s.hasSegment("abc123", chunk, "mp4")).toBe(true);
    expect(readdirSync(path.dirname(final))).toEqual(["30-60.mp4"]);
  });

  it("two commits of the same chunk at once keep exactly one complete segment", async () => {
    const s = sharedDirectoryStorage(root());
    const one = "A".repeat(200_000);
    const two = "B".repeat(200_000);
    const [ta, tb] = [await writeTemp(s, one), await writeTemp(s, two)];
    const [fa, fb] = await Promise.all([s.commitSegment(ta, "abc123", chunk, "mp4"), s.commitSegment(tb, "abc123", chunk, "mp4")]);
    expect(fa).toBe(fb);
    expect(readdirSync(path.dirname(fa))).toEqual(["30-60.mp4"]);
    expect([one, two]).toContain(readFileSync(fa, "utf8"));
    // A later commit never replaces the published segment.
    const tc = await writeTemp(s, "C");
    const before = readFileSync(fa, "utf8");
    await s.commitSegment(tc, "abc123", chunk, "mp4");
    expect(readFileSync(fa, "utf8")).toBe(before);
    expect(readdirSync(path.dirname(fa))).toEqual(["30-60.mp4"]);
  });

  it("a png-sequence segment is a directory: published by one rename, an empty one refused, a second commit dropped", async () => {
    const s = sharedDirectoryStorage(root());
    const frames = async (n: number) => {
      const temp = s.tempSegmentPath("abc123", chunk, "frames");
      await mkdir(temp, { recursive: true });
      for (let i = 0; i < n; i++) writeFileSync(path.join(temp, `frame_00000${i + 1}.png`), `png ${i}`);
      return temp;
    };
    const empty = await frames(0);
    await expect(s.commitSegment(empty, "abc123", chunk, "frames")).rejects.toMatchObject({ code: DistributedErrors.SEGMENT_EMPTY });
    rmSync(empty, { recursive: true });
    expect(await s.hasSegment("abc123", chunk, "frames")).toBe(false);
    const target = await s.commitSegment(await frames(2), "abc123", chunk, "frames");
    expect(target).toBe(s.segmentPath("abc123", chunk, "frames"));
    expect(await s.hasSegment("abc123", chunk, "frames")).toBe(true);
    expect(await s.commitSegment(await frames(3), "abc123", chunk, "frames")).toBe(target);
    expect(readdirSync(target)).toHaveLength(2);
    expect(readdirSync(path.dirname(target))).toEqual([path.basename(target)]);
  });

  it("refuses an empty render, and names that cannot be safe paths or job ids", async () => {
    const s = sharedDirectoryStorage(root());
    const temp = await writeTemp(s, "");
    await expect(s.commitSegment(temp, "abc123", chunk, "mp4")).rejects.toMatchObject({ code: DistributedErrors.SEGMENT_EMPTY });
    expect(await s.hasSegment("abc123", chunk, "mp4")).toBe(false);
    for (const bad of [() => s.segmentPath("../etc", chunk, "mp4"), () => s.segmentPath("a:b", chunk, "mp4"), () => s.segmentPath("abc", chunk, "m/p4"), () => s.segmentPath("abc", { from: 5, to: 5 }, "mp4")]) {
      let error: unknown;
      try {
        bad();
      } catch (e) {
        error = e;
      }
      expect(isFrameloomError(error, DistributedErrors.OPTIONS_INVALID), String(error)).toBe(true);
    }
  });
});
