import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runChecks, type Check } from "./doctor.js";

const run = promisify(execFile);
const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), "../dist/bin.js");
const byName = (checks: Check[], name: string) => checks.find((c) => c.name === name);

describe("doctor: browser and capture method", () => {
  it("--browser auto is the headless shell, and it captures with BeginFrame", async () => {
    const checks = await runChecks({ browser: "auto" });
    expect(checks.map((c) => c.name)).toEqual(["chromium", "browser", "capture method", "ffmpeg", "ffprobe", "fonts", "hdr-addon"]);
    expect(byName(checks, "browser")).toMatchObject({ ok: true, detail: expect.stringMatching(/^shell: Chromium 153\.\S+ \(.*headless-shell-153\.0\.0\/chromium\)$/) });
    expect(byName(checks, "capture method")).toMatchObject({ ok: true, detail: expect.stringMatching(/^beginframe \(probe \d+ ms\)$/) });
  });

  it("--browser system falls back to screenshots, saying why", async () => {
    const checks = await runChecks({ browser: "system" });
    expect(byName(checks, "browser")).toMatchObject({ ok: true, detail: expect.stringMatching(/^system: Chromium \d+/) });
    expect(byName(checks, "capture method")).toMatchObject({
      ok: true,
      detail: "screenshot ('HeadlessExperimental.beginFrame' wasn't found)",
    });
  });

  it("a browser path that is not executable fails both checks, naming the path", async () => {
    const checks = await runChecks({ browser: "/nonexistent/chromium" });
    expect(byName(checks, "browser")).toMatchObject({ ok: false, detail: expect.stringContaining("/nonexistent/chromium does not exist") });
    expect(byName(checks, "capture method")).toMatchObject({ ok: false });
  });

  it("`frameloom doctor --json --browser system` carries the new checks", async () => {
    const { stdout } = await run(process.execPath, [bin, "doctor", "--json", "--browser", "system"]).catch((error: { stdout: string }) => error);
    const checks = JSON.parse(stdout) as Check[];
    expect(byName(checks, "browser")?.detail).toMatch(/^system: /);
    expect(byName(checks, "capture method")?.detail).toMatch(/^screenshot \(/);
  });
});
