import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RenderPlan } from "@frameloom/shared-helpers";
import { afterAll, describe, expect, it } from "vitest";
import { PLAN_DIR_VERSION, chunksFor, materialiseProject, readPlanDir, writePlanDir } from "./planDir.js";

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
const sha = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");

/** Every temp root this file makes, removed after it. */
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const CONTENT = {
  "index.html": '<div data-composition-id="c" data-width="64" data-height="64" data-duration="5"></div>',
  "img/logo.png": "PNG-logo",
  "img/copy.png": "PNG-logo", // same bytes as logo.png: stored once
  "media/a.mp4": "video A",
  "media/b.mp4": "video B",
  "sound/music.mp3": "music",
};

/** A temp root with `project/` (the files above, plus a dot-file, a dot-dir and node_modules) and `mix.m4a`. */
function fixture(): { root: string; project: string; mix: string; plan: RenderPlan } {
  const root = mkdtempSync(path.join(tmpdir(), "planDir-test-"));
  made.push(root);
  const project = path.join(root, "project");
  for (const [rel, text] of Object.entries(CONTENT)) write(path.join(project, rel), text);
  write(path.join(project, ".env"), "SECRET=1");
  write(path.join(project, ".git/config"), "[core]");
  write(path.join(project, "node_modules/pkg/index.js"), "module.exports = 1");
  const mix = path.join(root, "mix.m4a");
  write(mix, "mixed soundtrack");
  return { root, project, mix, plan: planFor(project) };
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** 5 s at 30 fps: logo for ever, video a in [0, 2), video b in [3, 5), music for ever. */
function planFor(project: string): RenderPlan {
  const media = (kind: "video" | "audio" | "image", id: string, rel: string, start: number, duration: number | null) => ({
    kind,
    id,
    path: path.join(project, rel),
    start,
    duration,
    mediaStart: 0,
  });
  return {
    planVersion: 1,
    composition: {
      id: "c",
      projectDir: project,
      entryFile: path.join(project, "index.html"),
      entryUrlPath: "index.html",
      html: "<html><body><div data-composition-id=\"c\"></div></body></html>",
      width: 64,
      height: 64,
      fps: { num: 30, den: 1 },
      durationSec: 5,
      totalFrames: 150,
      media: [
        media("image", "logo", "img/logo.png", 0, null),
        media("video", "a", "media/a.mp4", 0, 2),
        media("video", "b", "media/b.mp4", 3, 2),
        media("audio", "music", "sound/music.mp3", 0, null),
      ],
    },
    range: { from: 0, to: 150 },
    media: {},
    output: {
      preset: "standard",
      encode: { format: "mp4", codec: "libx264", pixelFormat: "yuv420p", alpha: false },
      capture: { encoding: "jpeg", quality: 80, transparent: false },
    },
    hdr: { mode: "auto", transfer: null, reason: "no HDR source" },
    layers: null,
    contentLight: null,
    audio: [
      { id: "music", path: path.join(project, "sound/music.mp3"), start: 0, length: 5, mediaStart: 0, rate: 1, volume: 1, channels: 2 },
    ],
    warnings: [],
  };
}

/** The plan as plan.json must hold it: every path relative to the project. */
function relativised(plan: RenderPlan): RenderPlan {
  const out = structuredClone(plan);
  const rel = (p: string): string => path.relative(plan.composition.projectDir, p).split(path.sep).join("/");
  out.composition.projectDir = ".";
  out.composition.entryFile = rel(plan.composition.entryFile);
  for (const m of out.composition.media) m.path = rel(m.path);
  for (const t of out.audio) t.path = rel(t.path);
  return out;
}

const siblings = (dir: string): string[] => readdirSync(path.dirname(dir)).filter((n) => n.startsWith(`${path.basename(dir)}.`));

function editJson(file: string, edit: (value: Record<string, unknown>) => void): void {
  const value = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  edit(value);
  writeFileSync(file, JSON.stringify(value, null, 2));
}

describe("writePlanDir", () => {
  it("writes plan.json, manifest.json, content-addressed assets stored once, the audio and an empty segments/", async () => {
    const { root, mix, plan } = fixture();
    const outDir = path.join(root, "plan");
    const { dir, manifest } = await writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir });

    expect(dir).toBe(outDir);
    expect(readdirSync(dir).sort()).toEqual(["assets", "audio", "manifest.json", "plan.json", "segments"]);
    expect(readdirSync(path.join(dir, "segments"))).toEqual([]);
    // Dot-files, dot-dirs and node_modules are left out; every other file is listed with its hash.
    expect(manifest.assets).toEqual(
      Object.fromEntries(Object.entries(CONTENT).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, { hash: sha(v), size: v.length }])),
    );
    expect(readdirSync(path.join(dir, "assets")).sort()).toEqual([...new Set(Object.values(CONTENT).map(sha))].sort());
    expect(readdirSync(path.join(dir, "assets"))).toHaveLength(5);
    for (const v of Object.values(CONTENT)) expect(readFileSync(path.join(dir, "assets", sha(v)), "utf8")).toBe(v);
    expect(manifest.audio).toEqual({ hash: sha("mixed soundtrack"), durationSec: 5 });
    expect(readFileSync(path.join(dir, "audio", `${sha("mixed soundtrack")}.m4a`), "utf8")).toBe("mixed soundtrack");
    expect(manifest.chunks).toEqual([
      { from: 0, to: 60 },
      { from: 60, to: 120 },
      { from: 120, to: 150 },
    ]);
    expect(manifest).toMatchObject({ planDirVersion: PLAN_DIR_VERSION, frameloomVersion: VERSION });
    expect(manifest.planHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8"))).toEqual(manifest);
    // No path of the planning machine travels in plan.json.
    expect(readFileSync(path.join(dir, "plan.json"), "utf8")).not.toContain(root);
    expect(siblings(outDir)).toEqual([]);
  });

  it("takes the audio duration it is given, and writes no audio when there is none", async () => {
    const { root, mix, plan } = fixture();
    const withDuration = await writePlanDir({ plan, audioPath: mix, audioDurationSec: 4.5, chunkSize: 150, outDir: path.join(root, "a") });
    expect(withDuration.manifest.audio?.durationSec).toBe(4.5);
    const silent = await writePlanDir({ plan, audioPath: null, chunkSize: 150, outDir: path.join(root, "b") });
    expect(silent.manifest.audio).toBeNull();
    expect(readdirSync(path.join(root, "b", "audio"))).toEqual([]);
    expect(silent.manifest.planHash).not.toBe(withDuration.manifest.planHash);
  });

  it("keeps planHash stable for the same input and changes it when an asset changes", async () => {
    const { root, project, mix, plan } = fixture();
    const first = await writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir: path.join(root, "one") });
    const second = await writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir: path.join(root, "two") });
    expect(second.manifest.planHash).toBe(first.manifest.planHash);
    const rechunked = await writePlanDir({ plan, audioPath: mix, chunkSize: 50, outDir: path.join(root, "three") });
    expect(rechunked.manifest.planHash).not.toBe(first.manifest.planHash);
    writeFileSync(path.join(project, "media/b.mp4"), "video B, edited");
    const edited = await writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir: path.join(root, "four") });
    expect(edited.manifest.planHash).not.toBe(first.manifest.planHash);
    expect(edited.manifest.assets["media/b.mp4"]!.hash).toBe(sha("video B, edited"));
  });

  it("leaves out the plan dir itself, its partial build and excluded paths when they lie inside the project", async () => {
    const { project, mix, plan } = fixture();
    write(path.join(project, "render.mp4"), "an earlier render");
    const outDir = path.join(project, "plan-out");
    await writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir, exclude: [path.join(project, "render.mp4")] });
    // The second write finds the first plan dir inside the project: it must not carry it.
    const { manifest } = await writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir, exclude: [path.join(project, "render.mp4")] });
    expect(Object.keys(manifest.assets).sort()).toEqual(Object.keys(CONTENT).sort());
  });

  it("follows symlinks that stay inside the project and skips ones that leave it", async () => {
    const { root, project, plan } = fixture();
    write(path.join(root, "outside.txt"), "not the project's");
    symlinkSync(path.join(project, "img/logo.png"), path.join(project, "alias.png"));
    symlinkSync(path.join(root, "outside.txt"), path.join(project, "outside.txt"));
    symlinkSync(project, path.join(project, "img/loop")); // a cycle: must not recurse for ever
    const { manifest } = await writePlanDir({ plan, audioPath: null, chunkSize: 60, outDir: path.join(root, "plan") });
    expect(manifest.assets["alias.png"]).toEqual({ hash: sha("PNG-logo"), size: 8 });
    expect(Object.keys(manifest.assets).filter((k) => k.includes("outside") || k.startsWith("img/loop"))).toEqual([]);
  });

  it("carries a file the plan names even inside a folder the walk leaves out", async () => {
    const { root, project, plan } = fixture();
    write(path.join(project, ".cache/clip.mp4"), "cached clip");
    const named = structuredClone(plan);
    named.composition.media[2]!.path = path.join(project, ".cache/clip.mp4");
    const { dir, manifest } = await writePlanDir({ plan: named, audioPath: null, chunkSize: 60, outDir: path.join(root, "plan") });
    expect(manifest.assets[".cache/clip.mp4"]).toEqual({ hash: sha("cached clip"), size: 11 });
    expect(Object.keys(manifest.assets).filter((k) => k.startsWith("."))).toEqual([".cache/clip.mp4"]);
    const read = await readPlanDir(dir);
    const { projectDir } = await materialiseProject({ dir, ...read, chunk: { from: 90, to: 150 }, workDir: path.join(root, "work") });
    expect(readFileSync(path.join(projectDir, ".cache/clip.mp4"), "utf8")).toBe("cached clip");
  });

  it("refuses media outside the project, and a named file that cannot be read", async () => {
    const { root, mix, plan } = fixture();
    const outside = structuredClone(plan);
    outside.composition.media[1]!.path = mix;
    await expect(writePlanDir({ plan: outside, audioPath: null, chunkSize: 60, outDir: path.join(root, "p1") })).rejects.toMatchObject({
      code: "FLM_ERR_PLAN_OUTSIDE_PROJECT",
      message: expect.stringContaining(mix),
    });
    await expect(writePlanDir({ plan, audioPath: path.join(root, "nope.m4a"), chunkSize: 60, outDir: path.join(root, "p2") })).rejects.toMatchObject({
      code: "FLM_ERR_PLAN_SOURCE_UNREADABLE",
      message: expect.stringContaining("nope.m4a"),
    });
    await expect(writePlanDir({ plan, audioPath: null, chunkSize: 0, outDir: path.join(root, "p3") })).rejects.toMatchObject({
      code: "FLM_ERR_PLAN_CHUNK_INVALID",
    });
    // Failed writes leave neither the plan dir nor a partial build behind.
    expect(readdirSync(root).sort()).toEqual(["mix.m4a", "project"]);
  });

  it("refuses to replace a directory or file that is not a plan dir, and leaves it untouched", async () => {
    const { root, mix, plan } = fixture();
    const userDir = path.join(root, "mine");
    write(path.join(userDir, "notes.txt"), "keep me");
    await expect(writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir: userDir })).rejects.toMatchObject({
      code: "FLM_ERR_PLAN_OUTPUT_EXISTS",
      message: expect.stringContaining("notes.txt"),
    });
    expect(readdirSync(userDir)).toEqual(["notes.txt"]);
    const userFile = path.join(root, "file");
    write(userFile, "a file");
    await expect(writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir: userFile })).rejects.toMatchObject({ code: "FLM_ERR_PLAN_OUTPUT_EXISTS" });
    expect(readFileSync(userFile, "utf8")).toBe("a file");
    // A previous plan dir the user added a file to is theirs now, too.
    const planDir = path.join(root, "plan");
    await writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir: planDir });
    write(path.join(planDir, "final.mp4"), "assembled");
    await expect(writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir: planDir })).rejects.toMatchObject({
      code: "FLM_ERR_PLAN_OUTPUT_EXISTS",
      message: expect.stringContaining("final.mp4"),
    });
    expect(readFileSync(path.join(planDir, "final.mp4"), "utf8")).toBe("assembled");
    expect([...siblings(userDir), ...siblings(userFile), ...siblings(planDir)]).toEqual([]);
  });

  it("writes into an empty directory", async () => {
    const { root, mix, plan } = fixture();
    mkdirSync(path.join(root, "empty"));
    await writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir: path.join(root, "empty") });
    await expect(readPlanDir(path.join(root, "empty"))).resolves.toMatchObject({ plan: relativised(plan) });
  });

  it("replaces a previous plan dir whole, and keeps it when the new write fails", async () => {
    const { root, project, mix, plan } = fixture();
    const outDir = path.join(root, "plan");
    const first = await writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir });
    write(path.join(outDir, "segments", "seg-0.mp4"), "a segment of the old plan");

    // Fails after the assets are copied (the soundtrack is missing): the old plan dir must survive as it was.
    await expect(writePlanDir({ plan, audioPath: path.join(root, "missing.m4a"), chunkSize: 60, outDir })).rejects.toMatchObject({
      code: "FLM_ERR_PLAN_SOURCE_UNREADABLE",
    });
    expect((await readPlanDir(outDir)).manifest).toEqual(first.manifest);
    expect(siblings(outDir)).toEqual([]);

    writeFileSync(path.join(project, "media/a.mp4"), "video A, edited");
    const second = await writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir });
    expect(second.manifest.planHash).not.toBe(first.manifest.planHash);
    expect((await readPlanDir(outDir)).manifest).toEqual(second.manifest);
    // Nothing of the old plan is left: not its asset, not its segment, no .partial/.old sibling.
    expect(readdirSync(path.join(outDir, "assets"))).not.toContain(sha("video A"));
    expect(readdirSync(path.join(outDir, "segments"))).toEqual([]);
    expect(siblings(outDir)).toEqual([]);
  });

  it("stops when the signal is aborted, leaving nothing behind", async () => {
    const { root, mix, plan } = fixture();
    const controller = new AbortController();
    controller.abort(new Error("user pressed ctrl-c"));
    await expect(writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir: path.join(root, "plan"), signal: controller.signal })).rejects.toMatchObject({
      code: "FLM_ERR_ABORTED",
    });
    expect(readdirSync(root).sort()).toEqual(["mix.m4a", "project"]);
  });
});

describe("readPlanDir", () => {
  it("round-trips: the plan comes back with its paths relative to the project", async () => {
    const { root, mix, plan } = fixture();
    const written = await writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir: path.join(root, "plan") });
    const read = await readPlanDir(path.join(root, "plan"));
    expect(read.plan).toEqual(relativised(plan));
    expect(read.plan.composition.media.map((m) => m.path)).toEqual(["img/logo.png", "media/a.mp4", "media/b.mp4", "sound/music.mp3"]);
    expect(read.manifest).toEqual(written.manifest);
  });

  it("refuses a plan dir written by another Frameloom version, naming both versions", async () => {
    const { root, mix, plan } = fixture();
    const { dir } = await writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir: path.join(root, "plan") });
    editJson(path.join(dir, "manifest.json"), (m) => (m.frameloomVersion = "9.9.9"));
    const err = await readPlanDir(dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "FLM_ERR_PLAN_VERSION" });
    expect((err as Error).message).toContain("9.9.9");
    expect((err as Error).message).toContain(VERSION);
    editJson(path.join(dir, "manifest.json"), (m) => {
      m.frameloomVersion = VERSION;
      m.planDirVersion = 2;
    });
    await expect(readPlanDir(dir)).rejects.toMatchObject({ code: "FLM_ERR_PLAN_VERSION", message: expect.stringContaining("layout version 2") });
  });

  it("refuses a plan dir whose plan.json or manifest no longer match its planHash", async () => {
    const { root, mix, plan } = fixture();
    const { dir } = await writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir: path.join(root, "plan") });
    const planText = readFileSync(path.join(dir, "plan.json"), "utf8");
    const manifestText = readFileSync(path.join(dir, "manifest.json"), "utf8");

    editJson(path.join(dir, "plan.json"), (p) => ((p.composition as { width: number }).width = 65));
    await expect(readPlanDir(dir)).rejects.toMatchObject({ code: "FLM_ERR_PLAN_HASH_MISMATCH" });
    writeFileSync(path.join(dir, "plan.json"), planText);

    editJson(path.join(dir, "manifest.json"), (m) => ((m.assets as Record<string, { hash: string }>)["media/a.mp4"]!.hash = sha("video B")));
    await expect(readPlanDir(dir)).rejects.toMatchObject({ code: "FLM_ERR_PLAN_HASH_MISMATCH" });
    writeFileSync(path.join(dir, "manifest.json"), manifestText);

    editJson(path.join(dir, "manifest.json"), (m) => (m.chunks = [{ from: 0, to: 150 }]));
    await expect(readPlanDir(dir)).rejects.toMatchObject({ code: "FLM_ERR_PLAN_HASH_MISMATCH" });
    writeFileSync(path.join(dir, "manifest.json"), manifestText);

    // Re-indenting plan.json changes no content: still the same plan.
    writeFileSync(path.join(dir, "plan.json"), JSON.stringify(JSON.parse(planText)));
    await expect(readPlanDir(dir)).resolves.toMatchObject({ plan: relativised(plan) });
  });

  it("refuses a plan dir it cannot read, naming the path and the reason", async () => {
    const { root, mix, plan } = fixture();
    const missing = path.join(root, "no-such-plan");
    await expect(readPlanDir(missing)).rejects.toMatchObject({
      code: "FLM_ERR_PLAN_UNREADABLE",
      message: expect.stringMatching(new RegExp(`${missing}.*does not exist`)),
    });
    await expect(readPlanDir(mix)).rejects.toMatchObject({
      code: "FLM_ERR_PLAN_UNREADABLE",
      message: expect.stringMatching(/mix\.m4a.*not a directory/),
    });
    await expect(readPlanDir(path.join(mix, "sub"))).rejects.toMatchObject({ code: "FLM_ERR_PLAN_UNREADABLE" });

    const { dir } = await writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir: path.join(root, "plan") });
    const planText = readFileSync(path.join(dir, "plan.json"), "utf8");
    unlinkSync(path.join(dir, "plan.json"));
    await expect(readPlanDir(dir)).rejects.toMatchObject({
      code: "FLM_ERR_PLAN_UNREADABLE",
      message: expect.stringMatching(/plan\.json: it does not exist/),
    });
    mkdirSync(path.join(dir, "plan.json"));
    await expect(readPlanDir(dir)).rejects.toMatchObject({ code: "FLM_ERR_PLAN_UNREADABLE", message: expect.stringContaining("is a directory") });
    rmSync(path.join(dir, "plan.json"), { recursive: true });
    writeFileSync(path.join(dir, "plan.json"), "{ not json");
    await expect(readPlanDir(dir)).rejects.toMatchObject({ code: "FLM_ERR_PLAN_UNREADABLE", message: expect.stringContaining("not valid JSON") });
    writeFileSync(path.join(dir, "plan.json"), planText);
    await expect(readPlanDir(dir)).resolves.toBeDefined();

    unlinkSync(path.join(dir, "assets", sha("video A")));
    await expect(readPlanDir(dir)).rejects.toMatchObject({
      code: "FLM_ERR_PLAN_UNREADABLE",
      message: expect.stringContaining(`${sha("video A")}: it does not exist`),
    });
  });

  it("refuses a manifest whose asset paths would leave the worker's project tree", async () => {
    const { root, mix, plan } = fixture();
    const { dir } = await writePlanDir({ plan, audioPath: mix, chunkSize: 60, outDir: path.join(root, "plan") });
    editJson(path.join(dir, "manifest.json"), (m) => ((m.assets as Record<string, unknown>)["../../escape.txt"] = { hash: sha("x"), size: 1 }));
    await expect(readPlanDir(dir)).rejects.toMatchObject({ code: "FLM_ERR_PLAN_UNREADABLE", message: expect.stringContaining("../../escape.txt") });
  });
});

describe("materialiseProject", () => {
  async function planned() {
    const { root, mix, plan } = fixture();
    const { dir } = await writePlanDir({ plan, audioPath: mix, chunkSize: 30, outDir: path.join(root, "plan") });
    const read = await readPlanDir(dir);
    return { dir, original: plan, plan: read.plan, manifest: read.manifest, workDir: path.join(root, "work") };
  }
  const filesIn = (dir: string): string[] =>
    (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
      .sort();

  it("builds a tree with every non-media file and only the media the chunk's frames need", async () => {
    const { dir, plan: stored, manifest, workDir } = await planned();
    const always = ["img/copy.png", "img/logo.png", "index.html", "sound/music.mp3"];

    // Frames [0, 60) = 0 s to 2 s: video a plays, video b (from 3 s) does not.
    const early = await materialiseProject({ dir, plan: stored, manifest, chunk: { from: 0, to: 60 }, workDir });
    expect(filesIn(early.projectDir)).toEqual([...always, "media/a.mp4"].sort());
    // [60, 90) = 2 s to 3 s: a ended at 2 s, b starts at 3 s: neither.
    const gap = await materialiseProject({ dir, plan: stored, manifest, chunk: { from: 60, to: 90 }, workDir });
    expect(filesIn(gap.projectDir)).toEqual(always);
    // [89, 91) reaches into b's window.
    const edge = await materialiseProject({ dir, plan: stored, manifest, chunk: { from: 89, to: 91 }, workDir });
    expect(filesIn(edge.projectDir)).toEqual([...always, "media/b.mp4"].sort());
    expect(new Set([early.projectDir, gap.projectDir, edge.projectDir]).size).toBe(3);
    for (const p of [early.projectDir, gap.projectDir, edge.projectDir]) expect(path.dirname(p)).toBe(path.resolve(workDir));

    const tree = early.projectDir;
    expect(readFileSync(path.join(tree, "media/a.mp4"), "utf8")).toBe("video A");
    expect(readFileSync(path.join(tree, "img/copy.png"), "utf8")).toBe("PNG-logo");
    // Hard links into assets/ where the filesystem allows it (same inode, no bytes copied).
    expect(statSync(path.join(tree, "media/a.mp4")).ino).toBe(statSync(path.join(dir, "assets", sha("video A"))).ino);
  });

  it("returns the plan with projectDir, entryFile and media paths in the tree, audio tracks in the plan dir", async () => {
    const { dir, original, plan: stored, manifest, workDir } = await planned();
    const storedBefore = structuredClone(stored);
    const { plan: out, projectDir } = await materialiseProject({ dir, plan: stored, manifest, chunk: { from: 0, to: 30 }, workDir });
    expect(out.composition.projectDir).toBe(projectDir);
    expect(out.composition.entryFile).toBe(path.join(projectDir, "index.html"));
    expect(out.composition.media.map((m) => m.path)).toEqual(
      ["img/logo.png", "media/a.mp4", "media/b.mp4", "sound/music.mp3"].map((p) => path.join(projectDir, ...p.split("/"))),
    );
    expect(out.audio[0]!.path).toBe(path.join(dir, "assets", sha("music")));
    expect(readFileSync(out.audio[0]!.path, "utf8")).toBe("music");
    // Everything else is the plan as written; the stored plan itself is not modified.
    const expected = structuredClone(original);
    expected.composition.projectDir = out.composition.projectDir;
    expected.composition.entryFile = out.composition.entryFile;
    expected.composition.media.forEach((m, i) => (m.path = out.composition.media[i]!.path));
    expected.audio[0]!.path = out.audio[0]!.path;
    expect(out).toEqual(expected);
    expect(stored).toEqual(storedBefore);
  });

  it("refuses a chunk outside the plan's range, and a plan dir whose asset went missing", async () => {
    const { dir, plan, manifest, workDir } = await planned();
    await expect(materialiseProject({ dir, plan, manifest, chunk: { from: 140, to: 160 }, workDir })).rejects.toMatchObject({
      code: "FLM_ERR_PLAN_CHUNK_INVALID",
    });
    await expect(materialiseProject({ dir, plan, manifest, chunk: { from: 10, to: 10 }, workDir })).rejects.toMatchObject({
      code: "FLM_ERR_PLAN_CHUNK_INVALID",
    });
    unlinkSync(path.join(dir, "assets", sha("video A")));
    await expect(materialiseProject({ dir, plan, manifest, chunk: { from: 0, to: 30 }, workDir })).rejects.toMatchObject({
      code: "FLM_ERR_PLAN_UNREADABLE",
      message: expect.stringContaining("media/a.mp4"),
    });
    // The failed tree is removed; a chunk that does not need the missing file still materialises.
    expect(readdirSync(workDir)).toEqual([]);
    await expect(materialiseProject({ dir, plan, manifest, chunk: { from: 90, to: 120 }, workDir })).resolves.toBeDefined();
  });
});

describe("chunksFor", () => {
  it("covers the range in order, the last chunk shorter", () => {
    expect(chunksFor({ from: 0, to: 150 }, 60)).toEqual([
      { from: 0, to: 60 },
      { from: 60, to: 120 },
      { from: 120, to: 150 },
    ]);
    expect(chunksFor({ from: 0, to: 120 }, 60)).toEqual([
      { from: 0, to: 60 },
      { from: 60, to: 120 },
    ]);
  });

  it("starts at the range's first frame when it is not 0, and gives one chunk when the size exceeds the range", () => {
    expect(chunksFor({ from: 10, to: 25 }, 5)).toEqual([
      { from: 10, to: 15 },
      { from: 15, to: 20 },
      { from: 20, to: 25 },
    ]);
    expect(chunksFor({ from: 7, to: 8 }, 100)).toEqual([{ from: 7, to: 8 }]);
    expect(chunksFor({ from: 3, to: 6 }, 1)).toEqual([
      { from: 3, to: 4 },
      { from: 4, to: 5 },
      { from: 5, to: 6 },
    ]);
  });

  it("refuses a chunk size that is not a whole number of frames, and an empty or bad range", () => {
    for (const size of [0, -1, 1.5, Number.NaN]) expect(() => chunksFor({ from: 0, to: 10 }, size)).toThrow(expect.objectContaining({ code: "FLM_ERR_PLAN_CHUNK_INVALID" }));
    for (const range of [
      { from: 5, to: 5 },
      { from: 6, to: 5 },
      { from: -1, to: 5 },
    ]) {
      expect(() => chunksFor(range, 10)).toThrow(expect.objectContaining({ code: "FLM_ERR_FRAME_RANGE_INVALID" }));
    }
  });
});
