/**
 * Outputs: never replace a directory or the composition's own files; the extension picks (and must match) the
 * format; the file is checked (ffprobe) before it is renamed into place, and a full disk fails the render with a
 * code and leaves nothing (a real ENOSPC: a tiny tmpfs mounted in a private mount namespace, `unshare -m`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { counterPage } from "./helpers/fixtures.js";
import { ffprobe, frameCountOf } from "./helpers/media.js";
import { leftovers, watchChromium } from "./helpers/procs.js";
import { BIN, page, sandbox, type Sandbox } from "./helpers/sandbox.js";

const run = promisify(execFile);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnRun(command: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

let box: Sandbox;
let dir: string;
const env = () => ({ TMPDIR: box.tmp });
const cli = (args: string[]) => spawnRun(process.execPath, [BIN, ...args], env());

/** Exit 1 and one `frameloom: … [code]` line, before any browser started. */
async function expectRefused(args: string[], code: string, ...parts: string[]): Promise<void> {
  const watch = watchChromium(box.root, { everyMs: 20 });
  const r = await cli(args);
  expect(await watch.stop(), "no browser was started").toEqual([]);
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(new RegExp(`^frameloom: [^\\n]+ \\[${code}\\]\\n$`));
  for (const part of parts) expect(r.stderr).toContain(part);
}

beforeAll(() => {
  box = sandbox("outputs");
  // 0.2 s at 30 fps = 6 frames, 320x180.
  dir = box.project("proj", counterPage({ duration: "0.2", fpsNum: 30 }));
});
afterAll(() => box?.cleanup());

describe("outputs never replace what is there", () => {
  it("-o <an existing directory>: refused, the directory and its files survive", async () => {
    const target = path.join(box.out, "keep");
    mkdirSync(path.join(target, "sub"), { recursive: true });
    writeFileSync(path.join(target, "sub/precious.txt"), "precious");
    await expectRefused(["render", dir, "-o", target], "FLM_ERR_KERNEL_OUTPUT_FORMAT_MISMATCH", target);
    // Named like a video, still a directory.
    const named = path.join(box.out, "named.mp4");
    mkdirSync(named);
    writeFileSync(path.join(named, "precious.txt"), "precious");
    await expectRefused(["render", dir, "-o", named], "FLM_ERR_KERNEL_OUTPUT_IS_DIRECTORY", named);
    expect(readFileSync(path.join(target, "sub/precious.txt"), "utf8")).toBe("precious");
    expect(readFileSync(path.join(named, "precious.txt"), "utf8")).toBe("precious");
    // png-sequence replaces only an empty directory or a previous sequence.
    await expectRefused(["render", dir, "-o", target, "--format", "png-sequence"], "FLM_ERR_KERNEL_OUTPUT_DIRECTORY_IN_USE", "sub");
    expect(readFileSync(path.join(target, "sub/precious.txt"), "utf8")).toBe("precious");
  });

  it("-o equal to the input's index.html, or to one of its media files: refused, the source survives", async () => {
    const media = box.project("withclip", page({ extraRootAttrs: "data-no-timeline", body: '<video id="clip" src="clip.mp4" muted></video>' }));
    await run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=blue:s=64x36:r=30:d=0.5", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path.join(media, "clip.mp4")]);
    const entry = path.join(media, "index.html");
    const html = readFileSync(entry);
    const clip = readFileSync(path.join(media, "clip.mp4"));
    await expectRefused(["render", media, "-o", entry], "FLM_ERR_KERNEL_OUTPUT_FORMAT_MISMATCH", entry);
    await expectRefused(["render", entry, "-o", entry, "--format", "png-sequence"], "FLM_ERR_KERNEL_OUTPUT_OVERWRITES_INPUT", entry);
    await expectRefused(["render", media, "-o", path.join(media, "clip.mp4")], "FLM_ERR_KERNEL_OUTPUT_OVERWRITES_INPUT", '<video id="clip">');
    await expectRefused(["render", media, "-o", media, "--format", "png-sequence"], "FLM_ERR_KERNEL_OUTPUT_OVERWRITES_INPUT", media);
    expect(readFileSync(entry).equals(html)).toBe(true);
    expect(readFileSync(path.join(media, "clip.mp4")).equals(clip)).toBe(true);
    expect(readdirSync(media).sort()).toEqual(["clip.mp4", "index.html"]);
  });

  it("png-sequence into an empty directory, then again over that sequence", async () => {
    const seq = path.join(box.out, "seq");
    mkdirSync(seq);
    for (let pass = 0; pass < 2; pass++) {
      const r = await cli(["render", dir, "-o", seq, "--format", "png-sequence", "--workers", "1", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).frames).toBe(6);
      expect(readdirSync(seq).sort()).toEqual(Array.from({ length: 6 }, (_, i) => `frame_${String(i + 1).padStart(6, "0")}.png`));
    }
  });
});

describe("the extension picks and must match the format", () => {
  it("-o out.webm with the default preset writes VP9 in WebM (ffprobe)", async () => {
    const output = path.join(box.out, "out.webm");
    const r = await cli(["render", dir, "-o", output, "--workers", "1", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ frames: 6, preset: "webm-alpha" });
    const probe = await ffprobe(output);
    expect(String(probe.format.format_name)).toMatch(/webm/);
    expect(probe.streams.find((s) => s.codec_type === "video")?.codec_name).toBe("vp9");
    expect(readFileSync(output).subarray(0, 4).toString("hex")).toBe("1a45dfa3"); // EBML magic, not an MP4 ftyp
    expect(await frameCountOf(output)).toBe(6);
  });

  it("-o out.xyz, and --format webm with -o out.mp4: FLM_ERR_KERNEL_OUTPUT_FORMAT_MISMATCH, nothing written", async () => {
    await expectRefused(["render", dir, "-o", path.join(box.out, "out.xyz")], "FLM_ERR_KERNEL_OUTPUT_FORMAT_MISMATCH", '".xyz"');
    await expectRefused(["render", dir, "-o", path.join(box.out, "x.mp4"), "--format", "webm"], "FLM_ERR_KERNEL_OUTPUT_FORMAT_MISMATCH", '".mp4"', "webm");
    expect(existsSync(path.join(box.out, "out.xyz"))).toBe(false);
    expect(existsSync(path.join(box.out, "x.mp4"))).toBe(false);
  });
});

/** Can this process mount a tmpfs in a private mount namespace (root in CI's container: yes)? */
function canMountTmpfs(at: string): boolean {
  mkdirSync(at, { recursive: true });
  const r = spawnSync("unshare", ["-m", "--propagation", "private", "sh", "-c", 'mount -t tmpfs -o size=8k tmpfs "$1"', "sh", at]);
  return r.status === 0;
}

describe("a full disk", () => {
  const isRoot = process.getuid?.() === 0;
  it.skipIf(!isRoot)("300 frames onto an 8 KiB tmpfs: exit 1, FLM_ERR_ENCODE_DISK_FULL, no output and no partial file", async () => {
    const disk = path.join(box.root, "disk");
    expect(canMountTmpfs(disk), "unshare -m + mount -t tmpfs must work as root (CAP_SYS_ADMIN in the container)").toBe(true);
    const ten = box.project("ten", counterPage({ duration: "10", fpsNum: 30 }));
    // Inside a private mount namespace: the tmpfs exists only for this shell and its children, and goes with them.
    const script =
      'mount -t tmpfs -o size=8k tmpfs "$1" || exit 99\n' +
      '"$2" "$3" render "$4" -o "$1/out.mp4" --workers 1 --quality draft --json\n' +
      'echo "RC=$?"\n' +
      'echo "LEFT=$(ls -A "$1" | tr "\\n" " ")"\n';
    const r = await spawnRun("unshare", ["-m", "--propagation", "private", "sh", "-c", script, "sh", disk, process.execPath, BIN, ten], env());
    const lines = r.stdout.trim().split("\n");
    expect(lines.find((l) => l.startsWith("RC=")), r.stdout + r.stderr).toBe("RC=1");
    expect(lines.find((l) => l.startsWith("LEFT=")), "nothing left on the full disk").toBe("LEFT=");
    const json = JSON.parse(lines[0]!);
    expect(json.error.code).toBe("FLM_ERR_ENCODE_DISK_FULL");
    expect(json.error.message).toContain("No space left on device");
    expect(json.frames, "no success summary").toBeUndefined();
    expect(r.stderr).toMatch(/^frameloom: [^\n]+ \[FLM_ERR_ENCODE_DISK_FULL\]\n$/);
    expect(box.tmpLeft()).toEqual([]);
  });
});

describe("a full disk under the render's temp dir", () => {
  const isRoot = process.getuid?.() === 0;
  it.skipIf(!isRoot)("disk route frames onto a 24 MiB TMPDIR: exit 1, FLM_ERR_CAPTURE_DISK_FULL naming the file, nothing left", async () => {
    const disk = path.join(box.root, "small-tmp");
    expect(canMountTmpfs(disk), "unshare -m + mount -t tmpfs must work as root (CAP_SYS_ADMIN in the container)").toBe(true);
    // 1080p noise (seeded Math.random: a new image every frame): about 1 MB per JPEG frame.
    const noisy = box.project(
      "noisy",
      page({
        width: 1920, height: 1080, duration: "3", extraRootAttrs: "data-no-timeline",
        body: '<canvas id="c" width="1920" height="1080"></canvas>',
        script: `const g = document.getElementById("c").getContext("2d");
function draw() { const img = g.createImageData(1920, 1080); const d = new Uint32Array(img.data.buffer);
  for (let i = 0; i < d.length; i++) d[i] = (Math.random() * 0xffffffff) | 0xff000000; g.putImageData(img, 0, 0); requestAnimationFrame(draw); }
requestAnimationFrame(draw);`,
      }),
    );
    const output = path.join(box.out, "noisy.mp4");
    const script = 'mount -t tmpfs -o size=24m tmpfs "$1" || exit 99\nTMPDIR="$1" "$2" "$3" render "$4" -o "$5" --workers 1 --route disk --quality draft --json\necho "RC=$?"\necho "LEFT=$(ls -A "$1" | tr "\\n" " ")"\n';
    const r = await spawnRun("unshare", ["-m", "--propagation", "private", "sh", "-c", script, "sh", disk, process.execPath, BIN, noisy, output], env());
    const lines = r.stdout.trim().split("\n");
    expect(lines.find((l) => l.startsWith("RC=")), r.stdout + r.stderr).toBe("RC=1");
    const json = JSON.parse(lines[0]!);
    expect(json.error.code, json.error.message).toBe("FLM_ERR_CAPTURE_DISK_FULL");
    // Either a frame file hits ENOSPC first, or Chromium (its shared memory lives in the same temp dir) fails on it first.
    expect(json.error.message, json.error.message).toMatch(/temp dir is full: cannot write .*frame_\d{6}\.jpg \(ENOSPC\)|temp dir is full \(\d+ KiB free at .*\): /);
    expect(lines.find((l) => l.startsWith("LEFT=")), "the temp dir was removed").toBe("LEFT=");
    expect(existsSync(output)).toBe(false);
    expect(box.outFiles().filter((f) => f.startsWith(".noisy")), "no partial output").toEqual([]);
  });
});

describe("clean up", () => {
  it("leaves no processes, temp dirs or partial files", async () => {
    expect(await leftovers(box.root)).toEqual([]);
    expect(box.tmpLeft()).toEqual([]);
    expect(readdirSync(box.out).filter((f) => f.startsWith("."))).toEqual([]);
  });
});
