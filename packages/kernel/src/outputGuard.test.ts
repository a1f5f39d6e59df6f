import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { EncodeSettings } from "@frameloom/shared-helpers";
import { assertNotAnInput, assertOutputTarget, realPathOf, replaceOutput } from "./outputGuard.js";

const base = mkdtempSync(path.join(tmpdir(), "kernel-guard-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const dir = (files: Record<string, string> = {}): string => {
  const d = path.join(base, `d${n++}`);
  mkdirSync(d, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(d, name), text);
  return d;
};
const encode = (format: EncodeSettings["format"]) => ({ format }) as EncodeSettings;
const target = (input: string, output: string, format: EncodeSettings["format"] = "mp4") => assertOutputTarget({ input, output, presets: { requested: { preset: "x", encode: encode(format), capture: {} as never }, hdr: null } });

describe("output guard", () => {
  it("resolves the real path of a path that does not exist yet", async () => {
    const real = dir();
    const link = path.join(base, `link${n++}`);
    symlinkSync(real, link);
    expect(await realPathOf(path.join(link, "a/b.mp4"))).toBe(path.join(real, "a/b.mp4"));
  });

  it("refuses a file output that is an existing directory, and leaves the directory alone", async () => {
    const project = dir({ "index.html": "x" });
    const out = dir({ "keep.txt": "keep" });
    await expect(target(project, out)).rejects.toMatchObject({ code: "FLM_ERR_KERNEL_OUTPUT_IS_DIRECTORY", message: expect.stringContaining(out) });
    expect(readFileSync(path.join(out, "keep.txt"), "utf8")).toBe("keep");
    await expect(target(project, path.join(out, "new.mp4"))).resolves.toBeUndefined();
  });

  it("png-sequence: a new, empty or frames-only directory is fine; anything else is refused", async () => {
    const project = dir({ "index.html": "x" });
    await expect(target(project, path.join(base, "new-seq"), "png-sequence")).resolves.toBeUndefined();
    await expect(target(project, dir(), "png-sequence")).resolves.toBeUndefined();
    await expect(target(project, dir({ "frame_000001.png": "p", "frame_000002.png": "p" }), "png-sequence")).resolves.toBeUndefined();
    await expect(target(project, dir({ "frame_000001.png": "p", "notes.txt": "mine" }), "png-sequence")).rejects.toMatchObject({
      code: "FLM_ERR_KERNEL_OUTPUT_DIRECTORY_IN_USE",
      message: expect.stringContaining("notes.txt"),
    });
    const file = path.join(dir({ "a.bin": "x" }), "a.bin");
    await expect(target(project, file, "png-sequence")).rejects.toMatchObject({ code: "FLM_ERR_KERNEL_OUTPUT_DIRECTORY_IN_USE" });
  });

  it("refuses the input itself and a directory that contains it", async () => {
    const project = dir({ "index.html": "x" });
    const entry = path.join(project, "index.html");
    await expect(target(entry, entry, "png-sequence")).rejects.toMatchObject({ code: "FLM_ERR_KERNEL_OUTPUT_OVERWRITES_INPUT" });
    await expect(target(project, project, "png-sequence")).rejects.toMatchObject({ code: "FLM_ERR_KERNEL_OUTPUT_OVERWRITES_INPUT" });
    await expect(target(project, path.dirname(project), "png-sequence")).rejects.toMatchObject({ code: "FLM_ERR_KERNEL_OUTPUT_OVERWRITES_INPUT" });
  });

  it("refuses a file the composition reads (entry, media), by real path", async () => {
    const project = dir({ "index.html": "x", "clip.mp4": "v" });
    const composition = { entryFile: path.join(project, "index.html"), media: [{ kind: "video", id: "v1", path: path.join(project, "clip.mp4") }] };
    await expect(assertNotAnInput(path.join(project, "clip.mp4"), composition)).rejects.toMatchObject({
      code: "FLM_ERR_KERNEL_OUTPUT_OVERWRITES_INPUT",
      message: expect.stringContaining('<video id="v1">'),
    });
    const link = path.join(base, `plink${n++}`);
    symlinkSync(project, link);
    await expect(assertNotAnInput(path.join(link, "index.html"), composition)).rejects.toMatchObject({ code: "FLM_ERR_KERNEL_OUTPUT_OVERWRITES_INPUT" });
    await expect(assertNotAnInput(path.join(project, "out.mp4"), composition)).resolves.toBeUndefined();
  });

  it("replaceOutput: a file replaces a file, never a directory; a sequence replaces a previous sequence only", async () => {
    const d = dir({ "old.mp4": "old", ".t.partial.mp4": "new" });
    await replaceOutput(path.join(d, ".t.partial.mp4"), path.join(d, "old.mp4"), "mp4");
    expect(readFileSync(path.join(d, "old.mp4"), "utf8")).toBe("new");
    const target2 = dir({ "keep.txt": "keep" });
    writeFileSync(path.join(d, ".u.partial.mp4"), "x");
    await expect(replaceOutput(path.join(d, ".u.partial.mp4"), target2, "mp4")).rejects.toMatchObject({ code: "FLM_ERR_KERNEL_OUTPUT_IS_DIRECTORY" });
    expect(existsSync(path.join(target2, "keep.txt"))).toBe(true);
    const previous = dir({ "frame_000001.png": "old", "frame_000002.png": "old" });
    const fresh = dir({ "frame_000001.png": "new" });
    await replaceOutput(fresh, previous, "png-sequence");
    expect(readFileSync(path.join(previous, "frame_000001.png"), "utf8")).toBe("new");
    expect(existsSync(path.join(previous, "frame_000002.png"))).toBe(false);
  });
});
