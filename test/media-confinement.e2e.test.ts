/**
 * Media stays inside the project: ffmpeg reads `<video>` / `<audio>` / `<img>` files directly (the file server's
 * symlink refusal never applies to it), so compile resolves every media path with its real path and refuses what
 * lies outside, or what is a playlist naming other files, naming the element and the attribute. Refused before any
 * browser or ffmpeg starts, nothing written. Behind that, every ffprobe / ffmpeg that opens media reads local files
 * only (`-protocol_whitelist file`) and refuses playlist demuxers itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { render } from "@frameloom/cli";
import { probeVideoStream } from "@frameloom/shared-helpers";
import { MediaFrameSource } from "../packages/stage-hdr-native/dist/composite/mediaDecoder.js";
import { decodeAll, pixel } from "./helpers/media.js";
import { expectCleanState, renderFails } from "./helpers/expect.js";
import { watchChromium } from "./helpers/procs.js";
import { page, sandbox, type Sandbox } from "./helpers/sandbox.js";

const run = promisify(execFile);

let box: Sandbox;
/** Outside every project: a red clip (with sound) and a tone, which must never reach an output. */
let secretDir: string;
let secretClip: string;

beforeAll(async () => {
  box = sandbox("confine");
  secretDir = path.join(box.root, "secret");
  mkdirSync(secretDir);
  secretClip = path.join(secretDir, "secret.mp4");
  await run("ffmpeg", [
    "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=64x64:r=30:d=1", "-f", "lavfi", "-i", "sine=d=1",
    "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-t", "1", secretClip,
  ]);
  await run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", path.join(secretDir, "tone.m4a")]);
});
afterAll(() => box?.cleanup());

const playlist = (entry: string) => `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n${entry}\n#EXT-X-ENDLIST\n`;
const video = (attrs: string, inner = "") =>
  `<video class="blk" ${attrs} muted data-start="0" data-duration="0.5" style="left:0;top:0;width:64px;height:64px">${inner}</video>`;
const project = (name: string, body: string) => box.project(name, page({ id: name, width: 64, height: 64, duration: "0.5", extraRootAttrs: "data-no-timeline", body }));

/** The render fails with `code` naming every part, before any browser starts, leaving nothing behind. */
async function expectRefused(dir: string, code: string, ...parts: string[]): Promise<void> {
  const watch = watchChromium(box.root, { everyMs: 20 });
  const { error, ms } = await renderFails({ input: dir, output: path.join(box.out, "out.mp4") });
  const groups = await watch.stop();
  expect([error.code, error.message]).toEqual([code, expect.any(String)]);
  for (const part of parts) expect(error.message).toContain(part);
  expect(error.message).not.toContain("\n");
  expect(groups, "no browser was started").toEqual([]);
  expect(ms).toBeLessThan(10_000);
  await expectCleanState(box);
}

describe("media confined to the project", () => {
  it("<video src> that is a symlink to a file outside: FLM_ERR_COMPILE_MEDIA_OUTSIDE_PROJECT naming element, attribute and target", async () => {
    const dir = project("vlink", video('id="v" src="clip.mp4"'));
    symlinkSync(secretClip, path.join(dir, "clip.mp4"));
    await expectRefused(dir, "FLM_ERR_COMPILE_MEDIA_OUTSIDE_PROJECT", '<video id="v">', 'src="clip.mp4"', secretClip);
  });

  it("<audio><source src> through a symlinked directory: refused, naming <source src>", async () => {
    const dir = project("alink", '<audio id="music" data-start="0"><source src="sounds/tone.m4a"></audio>');
    symlinkSync(secretDir, path.join(dir, "sounds"));
    await expectRefused(dir, "FLM_ERR_COMPILE_MEDIA_OUTSIDE_PROJECT", '<audio id="music">', '<source src="sounds/tone.m4a">', path.join(secretDir, "tone.m4a"));
  });

  it("<img src> symlinked outside: refused too (ffprobe and the HDR compositor read images directly)", async () => {
    const dir = project("ilink", '<img id="pic" src="pic.png">');
    await run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=8x8", "-frames:v", "1", path.join(secretDir, "pic.png")]);
    symlinkSync(path.join(secretDir, "pic.png"), path.join(dir, "pic.png"));
    await expectRefused(dir, "FLM_ERR_COMPILE_MEDIA_OUTSIDE_PROJECT", '<img id="pic">', 'src="pic.png"');
  });

  it("<video src=list.m3u8> listing an absolute path outside: FLM_ERR_MEDIA_FORMAT_REFUSED naming element and attribute", async () => {
    const dir = project("hls", video('id="v" src="list.m3u8"'));
    writeFileSync(path.join(dir, "list.m3u8"), playlist(secretClip));
    await expectRefused(dir, "FLM_ERR_MEDIA_FORMAT_REFUSED", '<video id="v">', 'src="list.m3u8"', "HLS playlist");
  });

  it("an HLS playlist named .mp4 behind <audio src>: refused by its content, not its name", async () => {
    const dir = project("hls-audio", '<audio id="a" src="music.mp4" data-start="0"></audio>');
    writeFileSync(path.join(dir, "music.mp4"), playlist(path.join(secretDir, "tone.m4a")));
    await expectRefused(dir, "FLM_ERR_MEDIA_FORMAT_REFUSED", '<audio id="a">', 'src="music.mp4"');
  });

  it("an ffconcat script as <video>: refused", async () => {
    const dir = project("concat", video('id="v" src="joined.mp4"'));
    writeFileSync(path.join(dir, "joined.mp4"), `ffconcat version 1.0\nfile ${secretClip}\n`);
    await expectRefused(dir, "FLM_ERR_MEDIA_FORMAT_REFUSED", '<video id="v">', "ffconcat");
  });

  it("a symlink that stays inside the project still renders (composited video, real frames)", async () => {
    const dir = project("inside", video('id="v" src="alias.mp4"'));
    mkdirSync(path.join(dir, "media"));
    await run("ffmpeg", [
      "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=#00ff00:s=64x64:r=30:d=1",
      "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path.join(dir, "media/green.mp4"),
    ]);
    symlinkSync(path.join(dir, "media/green.mp4"), path.join(dir, "alias.mp4"));
    const output = path.join(box.out, "inside.mp4");
    const summary = await render({ input: dir, output, workers: 1, quality: "draft" });
    expect(summary.frames).toBe(15);
    const frames = await decodeAll(output);
    expect(frames).toHaveLength(15);
    // Green (levels shift a little: the clip is untagged BT.601, the output BT.709); never the secret red.
    const [r, g, b] = pixel(frames[7]!, 32, 32);
    expect(g > 150 && r < 60 && b < 60, `centre pixel ${[r, g, b].join(",")}`).toBe(true);
  });

  it("behind compile: ffprobe and the media decoder refuse a playlist themselves (local files only)", async () => {
    const file = path.join(box.root, "list.mp4");
    writeFileSync(file, playlist(secretClip));
    await expect(probeVideoStream(file)).rejects.toMatchObject({ code: "FLM_ERR_MEDIA_FORMAT_REFUSED", message: expect.stringContaining("hls") });
    await expect(MediaFrameSource.open({ path: file, fps: { num: 30, den: 1 } })).rejects.toMatchObject({ code: "FLM_ERR_MEDIA_FORMAT_REFUSED" });
  });
});
