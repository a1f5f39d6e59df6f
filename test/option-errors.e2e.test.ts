/**
 * Every error is one line, `frameloom: <message> [FLM_ERR_…]`, exit 1, with a code documented in docs/errors.md:
 * commander's option errors, contradictory flags, corrupt media, absurd durations and sizes (which fail before
 * anything is allocated or started).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { REPO, page, sandbox, type Sandbox } from "./helpers/sandbox.js";
import { leftovers, watchChromium } from "./helpers/procs.js";
import { runCli, type CliRun } from "./helpers/cli.js";

type Run = CliRun;
const cli = (args: string[], env: Record<string, string>) => runCli(args, { env });

const docs = readFileSync(path.join(REPO, "docs/errors.md"), "utf8");

/** Exit 1, nothing on stdout, exactly one stderr line ending in the code, which docs/errors.md lists. */
function expectOneLine(r: Run, code: string, ...parts: string[]): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(new RegExp(`^frameloom: [^\\n]+ \\[${code}\\]\\n$`));
  for (const part of parts) expect(r.stderr).toContain(part);
  expect(docs, `${code} is documented`).toContain(`\`${code}\``);
}

describe("one-line coded errors (CLI)", () => {
  let box: Sandbox;
  let dir: string;
  let output: string;
  const env = () => ({ TMPDIR: box.tmp });

  beforeAll(() => {
    box = sandbox("opts");
    dir = box.project("ok", page({ extraRootAttrs: "data-no-timeline" }));
    output = path.join(box.out, "out.mp4");
  });
  afterAll(() => box?.cleanup());

  for (const value of ["0", "1.5"]) {
    it(`--workers ${value}: FLM_ERR_CLI_OPTION_INVALID naming the option`, async () => {
      const r = await cli(["render", dir, "-o", output, "--workers", value], env());
      expectOneLine(r, "FLM_ERR_CLI_OPTION_INVALID", "--workers", `'${value}'`);
    });
  }

  it("--workers 0 --json: the error is also one JSON object on stdout", async () => {
    const r = await cli(["render", dir, "-o", output, "--workers", "0", "--json"], env());
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout.trim())).toEqual({ error: { code: "FLM_ERR_CLI_OPTION_INVALID", message: expect.stringContaining("--workers") } });
    expect(r.stderr).toMatch(/^frameloom: [^\n]+ \[FLM_ERR_CLI_OPTION_INVALID\]\n$/);
  });

  it("an unknown option: FLM_ERR_CLI_OPTION_INVALID", async () => {
    expectOneLine(await cli(["render", dir, "-o", output, "--no-such-flag"], env()), "FLM_ERR_CLI_OPTION_INVALID", "--no-such-flag");
  });

  it("--hdr --sdr: FLM_ERR_CLI_OPTION_INVALID naming both, before any browser starts", async () => {
    const watch = watchChromium(box.root, { everyMs: 20 });
    const r = await cli(["render", dir, "-o", output, "--hdr", "--sdr"], env());
    expect(await watch.stop()).toEqual([]);
    expectOneLine(r, "FLM_ERR_CLI_OPTION_INVALID", "--hdr", "--sdr");
  });

  it("a text file named .mp4: FLM_ERR_MEDIA_PROBE naming the element and file, on one line", async () => {
    const media = box.project("text", page({ extraRootAttrs: "data-no-timeline", body: '<video id="clip" src="clip.mp4"></video>' }), {
      files: { "clip.mp4": "this is not a video\n" },
    });
    const r = await cli(["render", media, "-o", output], env());
    expectOneLine(r, "FLM_ERR_MEDIA_PROBE", '<video id="clip">', path.join(media, "clip.mp4"), "Invalid data");
  });

  it("a 0-byte video: FLM_ERR_MEDIA_PROBE naming the element and file, on one line", async () => {
    const media = box.project("empty", page({ extraRootAttrs: "data-no-timeline", body: '<video id="clip" src="clip.mp4"></video>' }), {
      files: { "clip.mp4": "" },
    });
    const r = await cli(["render", media, "-o", output], env());
    expectOneLine(r, "FLM_ERR_MEDIA_PROBE", '<video id="clip">', path.join(media, "clip.mp4"));
  });

  it('data-duration="1e9": FLM_ERR_COMPILE_BAD_DURATION naming the 4 h limit, fast and before any browser', async () => {
    const big = box.project("long", page({ duration: "1e9", extraRootAttrs: "data-no-timeline" }));
    const watch = watchChromium(box.root, { everyMs: 20 });
    const r = await cli(["render", big, "-o", output], env());
    expect(await watch.stop()).toEqual([]);
    expectOneLine(r, "FLM_ERR_COMPILE_BAD_DURATION", 'data-duration="1e9"', "4 h");
    expect(r.ms).toBeLessThan(10_000);
  });

  it("a page timeline of 10^6 s without data-duration: FLM_ERR_COMPILE_BAD_DURATION naming the 4 h limit, before any frame", async () => {
    const endless = box.project(
      "endless",
      page({ duration: null, gsap: true, body: '<div class="blk" id="x"></div>', script: 'window.__timelines = { comp: gsap.timeline({ paused: true }).to("#x", { x: 100, duration: 1e6 }) };' }),
      { gsap: true },
    );
    const r = await cli(["render", endless, "-o", output], env());
    expectOneLine(r, "FLM_ERR_COMPILE_BAD_DURATION", "timeline duration (1000000 s)", "4 h");
    expect(existsSync(output)).toBe(false);
  });

  it("data-width=20000: FLM_ERR_COMPILE_BAD_SIZE naming the 8K limit, fast and before any browser", async () => {
    const wide = box.project("wide", page({ width: 20000, extraRootAttrs: "data-no-timeline" }));
    const watch = watchChromium(box.root, { everyMs: 20 });
    const r = await cli(["render", wide, "-o", output], env());
    expect(await watch.stop()).toEqual([]);
    expectOneLine(r, "FLM_ERR_COMPILE_BAD_SIZE", 'data-width="20000"', "8192", "8K");
    expect(r.ms).toBeLessThan(10_000);
  });

  it("a video larger than 8K per side: FLM_ERR_COMPILE_MEDIA_TOO_LARGE before any frame is decoded", async () => {
    const huge = box.project("huge", page({ extraRootAttrs: "data-no-timeline", body: '<video id="big" src="big.mp4"></video>' }));
    // A tiny file whose stream is 8200x16 (ffprobe reads the size from the header).
    execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=black:s=8200x16:r=1:d=1", "-c:v", "libx264", "-preset", "ultrafast", path.join(huge, "big.mp4")]);
    const r = await cli(["render", huge, "-o", output], env());
    expectOneLine(r, "FLM_ERR_COMPILE_MEDIA_TOO_LARGE", '<video id="big">', "8200x16", "8192");
  });

  it("left nothing behind", async () => {
    expect(existsSync(output)).toBe(false);
    expect(box.outFiles()).toEqual([]);
    expect(box.tmpLeft()).toEqual([]);
    expect(await leftovers(box.root)).toEqual([]);
  });
});
