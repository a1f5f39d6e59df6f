import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { frameCount, isFrameloomError } from "@frameloom/shared-helpers";
import { compileProject, FRAGMENT_RESET } from "./compileProject.js";
import { CompileErrors } from "./errors.js";
import { testProjects } from "./testProjects.js";

const projects = testProjects("flm-compile-");
afterAll(() => projects.cleanup());
const project = projects.project;

const root = (attrs: string, inner = ""): string => `<div id="root" data-composition-id="main" ${attrs}>${inner}</div>`;

async function expectCode(promise: Promise<unknown>, code: string, ...parts: string[]): Promise<Error> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isFrameloomError(error), String(error)).toBe(true);
  const err = error as Error & { code: string };
  expect(err.code).toBe(code);
  for (const part of parts) expect(err.message).toContain(part);
  return err;
}

describe("compileProject", () => {
  it("wraps a fragment in a full document with the reset and reads the root", async () => {
    const dir = await project({ "index.html": `  \n${root('data-width="1920" data-height="1080" data-duration="5" data-fps="60"')}` });
    const compiled = await compileProject(dir);
    expect(compiled.html.toLowerCase()).toMatch(/^<!doctype html>/);
    expect(compiled.html).toContain(FRAGMENT_RESET);
    expect(compiled.html).toContain('data-composition-id="main"');
    expect(compiled).toMatchObject({
      id: "main",
      projectDir: dir,
      entryFile: path.join(dir, "index.html"),
      entryUrlPath: "index.html",
      width: 1920,
      height: 1080,
      fps: { num: 60, den: 1 },
      durationSec: 5,
      media: [],
      warnings: [],
    });
  });

  it("keeps a full document as is (no reset) and accepts an .html file as input", async () => {
    const dir = await project({
      "scenes/a.html": `<!DOCTYPE html><html><head><title>x</title></head><body>${root('data-width="640" data-height="360"')}</body></html>`,
    });
    const compiled = await compileProject(path.join(dir, "scenes/a.html"), { fps: { num: 24, den: 1 } });
    expect(compiled.html).not.toContain(FRAGMENT_RESET);
    expect(compiled.projectDir).toBe(path.join(dir, "scenes"));
    expect(compiled.entryUrlPath).toBe("a.html");
    expect(compiled.fps).toEqual({ num: 24, den: 1 });
    expect(compiled.durationSec).toBeNull();
  });

  it("treats a document that starts with a comment then <!doctype html> as full", async () => {
    const dir = await project({ "index.html": `<!-- generated -->\n<!doctype html><html><body>${root('data-width="10" data-height="10"')}</body></html>` });
    const compiled = await compileProject(dir);
    expect(compiled.html).not.toContain(FRAGMENT_RESET);
    expect(compiled.id).toBe("main");
  });

  it("inlines data-composition-src (nested.test.ts has the details); a missing file is an error naming the reference", async () => {
    const dir = await project({ "index.html": root('data-width="10" data-height="10"', '<div data-composition-id="x" data-composition-src="compositions/x.html"></div>') });
    await expectCode(compileProject(dir), CompileErrors.COMPOSITION_SRC_INVALID, 'data-composition-src="compositions/x.html"', "file not found");
    await mkdir(path.join(dir, "compositions"));
    await writeFile(path.join(dir, "compositions/x.html"), '<div data-composition-id="x"><i>x</i></div>');
    const compiled = await compileProject(dir);
    expect(compiled.html).toContain('data-composition-file="compositions/x.html"');
    expect(compiled.warnings).toEqual([]);
  });

  it("defaults to 1080x1920 at 30 fps with a warning, and prefers data-root", async () => {
    const dir = await project({
      "index.html": `<div data-composition-id="first"></div><div data-composition-id="real" data-root="true" data-composition-duration="2"></div>`,
    });
    const compiled = await compileProject(dir);
    expect(compiled.id).toBe("real");
    expect([compiled.width, compiled.height]).toEqual([1080, 1920]);
    expect(compiled.fps).toEqual({ num: 30, den: 1 });
    expect(compiled.durationSec).toBe(2);
    expect(compiled.warnings.join("\n")).toContain("data-width");
  });

  it("reads a rational fps exactly (30000/1001, 1 s → 30 frames)", async () => {
    const dir = await project({ "index.html": root('data-width="100" data-height="100" data-fps="30000/1001" data-duration="1"') });
    const compiled = await compileProject(dir);
    expect(compiled.fps).toEqual({ num: 30000, den: 1001 });
    expect(frameCount(compiled.durationSec!, compiled.fps)).toBe(30);
  });

  it("names the absolute path it looked for when the entry is missing", async () => {
    const dir = await project({ "other.html": "x" });
    await expectCode(compileProject(dir), CompileErrors.ENTRY_MISSING, path.join(dir, "index.html"));
    await expectCode(compileProject(path.join(dir, "nope.html")), CompileErrors.ENTRY_MISSING, path.join(dir, "nope.html"));
  });

  it("refuses an index.html that is not a file", async () => {
    const dir = await project({ "index.html/x.txt": "x" });
    await expectCode(compileProject(dir), CompileErrors.ENTRY_NOT_FILE, path.join(dir, "index.html"));
  });

  it("refuses a document without data-composition-id", async () => {
    const dir = await project({ "index.html": "<div>hello</div>" });
    await expectCode(compileProject(dir), CompileErrors.NO_COMPOSITION, path.join(dir, "index.html"), "data-composition-id");
  });

  it.each(["0", "-2", "abc", "", "1.5s"])('refuses root data-duration="%s"', async (value) => {
    const dir = await project({ "index.html": root(`data-width="100" data-height="100" data-duration="${value}"`) });
    await expectCode(compileProject(dir), CompileErrors.BAD_DURATION, `data-duration="${value}"`, path.join(dir, "index.html"));
  });

  it.each([
    ['data-width="abc" data-height="100"', 'data-width="abc"'],
    ['data-width="100.5" data-height="100"', 'data-width="100.5"'],
    ['data-width="100" data-height="0"', 'data-height="0"'],
    ['data-width="9000" data-height="100"', 'data-width="9000"'],
  ])("refuses bad sizes (%s)", async (attrs, named) => {
    const dir = await project({ "index.html": root(attrs) });
    await expectCode(compileProject(dir), CompileErrors.BAD_SIZE, named, path.join(dir, "index.html"));
  });

  it("refuses a bad data-fps", async () => {
    const dir = await project({ "index.html": root('data-width="100" data-height="100" data-fps="29.97"') });
    await expectCode(compileProject(dir), CompileErrors.BAD_FPS, 'data-fps="29.97"', "30000/1001");
  });

  it("collects local media with resolved timing and skips remote URLs", async () => {
    const dir = await project({
      "assets/a.mp4": "v",
      "assets/b.mp3": "a",
      "assets/c.png": "i",
      "index.html": root(
        'data-width="100" data-height="100"',
        `<div id="scene" data-start="0" data-duration="2"></div>
         <video src="assets/a.mp4" data-start="scene + 1" data-duration="3" data-media-start="2" data-playback-rate="9" loop muted></video>
         <div data-composition-id="child" data-start="4">
           <audio id="music" src="./assets/b.mp3?v=1" data-start="1" data-end="6" data-playback-start="0.5" data-playback-rate="-2"></audio>
         </div>
         <img src="/assets/c.png"><img src="https://example.com/x.png"><img src="data:image/png;base64,AA==">`,
      ),
    });
    const compiled = await compileProject(dir);
    expect(compiled.media).toEqual([
      // data-playback-rate clamps to [0.1, 5]; ≤ 0 means 1 (§2.3)
      { kind: "video", path: path.join(dir, "assets/a.mp4"), id: "hf-video-0", start: 3, duration: 3, mediaStart: 2, playbackRate: 5, loop: true, volume: 1, hasAudio: false },
      { kind: "audio", path: path.join(dir, "assets/b.mp3"), id: "music", start: 5, duration: 1, mediaStart: 0.5, playbackRate: 1, loop: false, volume: 1, hasAudio: true },
      { kind: "image", path: path.join(dir, "assets/c.png"), id: "hf-image-0", start: 0, duration: null, mediaStart: 0, playbackRate: 1, loop: false, volume: 1 },
    ]);
    expect(compiled.html).toContain('id="hf-video-0"');
  });

  it("reads data-volume and decides which media go into the audio mix (§2.3, §4.2)", async () => {
    const dir = await project({
      "a.mp3": "a",
      "v.mp4": "v",
      "index.html": root(
        'data-width="100" data-height="100"',
        `<audio id="a1" src="a.mp3" data-volume="0.5"></audio>
         <audio id="a2" src="a.mp3" muted data-volume="99"></audio>
         <audio id="a3" src="a.mp3" data-volume="-1" data-hidden></audio>
         <audio id="a4" src="a.mp3" data-volume="abc"></audio>
         <video id="v1" src="v.mp4"></video>
         <video id="v2" src="v.mp4" muted></video>
         <video id="v3" src="v.mp4" muted data-has-audio="true"></video>
         <video id="v4" src="v.mp4" data-has-audio="false"></video>
         <video id="v5" src="v.mp4" data-has-audio="yes"></video>
         <div data-hidden><div><video id="v6" src="v.mp4" data-has-audio="true"></video></div></div>
         <img id="i1" src="v.mp4" data-volume="2">`,
      ),
    });
    const compiled = await compileProject(dir);
    const byId = Object.fromEntries(compiled.media.map((m) => [m.id, [m.volume, m.hasAudio]]));
    expect(byId).toEqual({
      a1: [0.5, true],
      a2: [10 ** (12 / 20), true], // muted is ignored for <audio>; +12 dB cap
      a3: [0, false], // data-hidden leaves the mix
      a4: [1, true], // non-finite → 1
      v1: [1, true], // unmuted video without data-has-audio is mixed
      v2: [1, false],
      v3: [1, true],
      v4: [1, false],
      v5: [1, false], // only the literal "true" counts
      v6: [1, false], // hidden ancestor
      i1: [2, undefined],
    });
  });

  it("inserts data-start=0 on media without one", async () => {
    const dir = await project({ "a.mp3": "a", "index.html": root('data-width="100" data-height="100"', '<audio src="a.mp3"></audio>') });
    const compiled = await compileProject(dir);
    expect(compiled.html).toMatch(/<audio src="a.mp3" data-start="0" data-hf-auto-start="" id="hf-audio-0">/);
  });

  it("names the element and path of missing media, and refuses media outside the project", async () => {
    const dir = await project({ "index.html": root('data-width="100" data-height="100"', '<video id="v1" src="assets/missing.mp4"></video>') });
    await expectCode(compileProject(dir), CompileErrors.MEDIA_MISSING, 'id="v1"', path.join(dir, "assets/missing.mp4"));
    const dir2 = await project({ "index.html": root('data-width="100" data-height="100"', '<img src="../outside.png">') });
    await expectCode(compileProject(dir2), CompileErrors.MEDIA_OUTSIDE_PROJECT, "../outside.png");
  });

  it("follows symlinks: media whose real path is outside the project is refused, naming element and attribute", async () => {
    const outside = await project({ "secret.mp4": "s", "sub/clip.mp3": "a" });
    const dir = await project({
      "index.html": root('data-width="100" data-height="100"', '<video id="v" src="link.mp4"></video>'),
    });
    await symlink(path.join(outside, "secret.mp4"), path.join(dir, "link.mp4"));
    await expectCode(compileProject(dir), CompileErrors.MEDIA_OUTSIDE_PROJECT, '<video id="v">', 'src="link.mp4"', path.join(outside, "secret.mp4"));
    // A symlinked directory, reached through <source src>.
    const dir2 = await project({ "index.html": root('data-width="100" data-height="100"', '<audio id="a"><source src="assets/clip.mp3"></audio>') });
    await symlink(path.join(outside, "sub"), path.join(dir2, "assets"));
    await expectCode(compileProject(dir2), CompileErrors.MEDIA_OUTSIDE_PROJECT, '<audio id="a">', '<source src="assets/clip.mp3">');
  });

  it("keeps symlinks that stay inside the project, and records the real path", async () => {
    const dir = await project({ "index.html": root('data-width="100" data-height="100"', '<audio id="a" src="alias.mp3"></audio>'), "real/a.mp3": "a" });
    await symlink(path.join(dir, "real/a.mp3"), path.join(dir, "alias.mp3"));
    const compiled = await compileProject(dir);
    expect(compiled.media.map((m) => m.path)).toEqual([path.join(dir, "real/a.mp3")]);
  });

  it("refuses playlists and manifests (whatever their name), naming element and attribute", async () => {
    const dir = await project({
      "index.html": root('data-width="100" data-height="100"', '<video id="v" src="list.m3u8"></video>'),
      "list.m3u8": "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n/etc/secret.mp4\n#EXT-X-ENDLIST\n",
    });
    await expectCode(compileProject(dir), "FLM_ERR_MEDIA_FORMAT_REFUSED", '<video id="v">', 'src="list.m3u8"', "HLS playlist");
    const dir2 = await project({
      "index.html": root('data-width="100" data-height="100"', '<audio src="clip.mp3"></audio>'),
      "clip.mp3": "ffconcat version 1.0\nfile /etc/secret.mp3\n",
    });
    await expectCode(compileProject(dir2), "FLM_ERR_MEDIA_FORMAT_REFUSED", "<audio>", 'src="clip.mp3"', "ffconcat");
  });
});

describe("limits", () => {
  it("refuses a duration over 4 h and a size over 8K per side, naming the limit", async () => {
    const dir = await project({ "index.html": root('data-width="100" data-height="100" data-duration="1e9"') });
    await expectCode(compileProject(dir), CompileErrors.BAD_DURATION, 'data-duration="1e9"', "4 h");
    const dir2 = await project({ "index.html": root('data-width="20000" data-height="100" data-duration="1"') });
    await expectCode(compileProject(dir2), CompileErrors.BAD_SIZE, 'data-width="20000"', "8192", "8K");
    const dir3 = await project({ "index.html": root('data-width="100" data-height="100" data-duration="14400"') });
    expect((await compileProject(dir3)).durationSec).toBe(14400);
  });
});
