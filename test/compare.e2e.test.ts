/** `frameloom compare` on real renders: exit 0 / 1 / 2, --json, --diff-dir, and the Node API. */
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compare, render } from "@frameloom/cli";
import { animatedPage } from "./helpers/fixtures.js";
import { runCli } from "./helpers/cli.js";
import { sandbox, type Sandbox } from "./helpers/sandbox.js";

const cli = (args: string[]) => runCli(args);

describe("frameloom compare", () => {
  let box: Sandbox;
  let one: string, two: string, other: string;

  beforeAll(async () => {
    box = sandbox("compare");
    const dir = box.project("anim", animatedPage(), { gsap: true });
    // The same page with its moving disc recoloured from 1 s on: a real regression to catch.
    const changed = box.project(
      "changed",
      animatedPage().replace("</script>\n</body>", `document.getElementById("a").animate([{ filter: "none" }, { filter: "none" }, { filter: "invert(1)" }], { duration: 2500, fill: "both", easing: "steps(2, jump-none)" });</script>\n</body>`),
      { gsap: true },
    );
    one = path.join(box.out, "one.mp4");
    two = path.join(box.out, "two.mp4");
    other = path.join(box.out, "other.mp4");
    await render({ input: dir, output: one, workers: 1 });
    await render({ input: dir, output: two, workers: 2, route: "disk" });
    await render({ input: changed, output: other, workers: 1 });
  });
  afterAll(() => box?.cleanup());

  it("two renders of one page (1 worker streaming, 2 workers disk) match: exit 0", async () => {
    const r = await cli(["compare", one, two, "--min-psnr", "40"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/^PASS/);
    expect(r.stdout).toMatch(/video: 100 checkpoints, 0 below 40 dB/);
  });

  it("a changed render fails with exit 1, --json carries every checkpoint, --diff-dir writes the worst", async () => {
    const diffDir = path.join(box.root, "diffs");
    const r = await cli(["compare", one, other, "--json", "--diff-dir", diffDir, "--diff-count", "2"]);
    expect(r.code, r.stderr).toBe(1);
    const result = JSON.parse(r.stdout);
    expect(result.pass).toBe(false);
    expect(result.video.checkpoints).toHaveLength(100);
    // Frames before 1.25 s (the step of the recolour) are the same page; after it they are not.
    const first = result.video.firstFailure;
    expect(first.time).toBeGreaterThanOrEqual(1.2);
    expect(first.time).toBeLessThan(1.35);
    expect(result.failures[0]).toMatch(/^video: \d+ of 100 checkpoints below 30 dB/);
    expect(readdirSync(diffDir)).toHaveLength(2);
    expect(result.diffImages.map((p: string) => path.basename(p)).sort()).toEqual(readdirSync(diffDir).sort());
  });

  it("an input that cannot be read: exit 2 with a coded one-line error", async () => {
    const r = await cli(["compare", one, path.join(box.out, "missing.mp4")]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^frameloom: b ".*missing\.mp4" does not exist \[FLM_ERR_COMPARE_INPUT_MISSING\]$/);
    const bad = await cli(["compare", one, two, "--min-psnr", "loud"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("[FLM_ERR_COMPARE_OPTION_INVALID]");
  });

  it("the Node API returns the same verdicts", async () => {
    expect((await compare(one, two, { minPsnr: 40 })).pass).toBe(true);
    expect((await compare(one, other)).pass).toBe(false);
  });
});
