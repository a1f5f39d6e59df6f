import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { brotliCompressSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findShellPackage, resolveBrowser, shellCacheRoot, unpackHeadlessShell } from "./browserProvider.js";

const SWIFTSHADER_FILES = ["libEGL.so", "libGLESv2.so", "libvk_swiftshader.so", "libvulkan.so.1", "vk_swiftshader_icd.json"];
const made: string[] = [];
const tmpBefore = new Set(readdirSync(tmpdir()));

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A stand-in for @sparticuz/chromium: same layout, a shell script for `chromium`, a few bytes per library. */
function fakeShellPackage(version: string): string {
  const pkg = tempDir("flm-bp-fake-shell-");
  mkdirSync(path.join(pkg, "bin"));
  writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "@sparticuz/chromium", version }));
  writeFileSync(path.join(pkg, "bin", "chromium.br"), brotliCompressSync(Buffer.from(`#!/bin/sh\necho "Chromium ${version}.4242.0"\n`)));
  const libs = path.join(pkg, "libs");
  mkdirSync(libs);
  for (const name of SWIFTSHADER_FILES) writeFileSync(path.join(libs, name), name);
  const tar = path.join(pkg, "swiftshader.tar");
  execFileSync("tar", ["-cf", tar, "-C", libs, ...SWIFTSHADER_FILES]);
  writeFileSync(path.join(pkg, "bin", "swiftshader.tar.br"), brotliCompressSync(execFileSync("cat", [tar])));
  return pkg;
}

let fakePkg: string;
beforeAll(() => {
  fakePkg = fakeShellPackage("900.0.0");
});

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  // Nothing of ours may stay in the temp dir (the shell's cache lives elsewhere).
  const left = readdirSync(tmpdir()).filter((name) => !tmpBefore.has(name) && name.startsWith("flm-bp-"));
  expect(left).toEqual([]);
});

describe("resolveBrowser", () => {
  it("auto: FRAMELOOM_CHROMIUM (then PUPPETEER_EXECUTABLE_PATH) wins, as kind path", async () => {
    const resolved = await resolveBrowser("auto", { env: { FRAMELOOM_CHROMIUM: "/usr/bin/chromium" } });
    expect(resolved).toMatchObject({ kind: "path", executablePath: "/usr/bin/chromium" });
    expect(resolved.version).toMatch(/^Chromium \d+\.\d+\.\d+\.\d+$/);
    const puppeteerVar = await resolveBrowser("auto", { env: { PUPPETEER_EXECUTABLE_PATH: "/usr/bin/chromium" } });
    expect(puppeteerVar.kind).toBe("path");
  });

  it("auto: an override that is not executable is an error naming the variable", async () => {
    await expect(resolveBrowser("auto", { env: { FRAMELOOM_CHROMIUM: "/nonexistent/chrome" } })).rejects.toMatchObject({
      code: "FLM_ERR_CAPTURE_BROWSER_NOT_EXECUTABLE",
      message: expect.stringMatching(/FRAMELOOM_CHROMIUM="\/nonexistent\/chrome".*does not exist/),
    });
  });

  it("auto: the headless shell when the package resolves, unpacked into the cache dir", async () => {
    const cacheDir = tempDir("flm-bp-cache-");
    const resolved = await resolveBrowser("auto", { env: {}, shellPackage: fakePkg, cacheDir });
    expect(resolved).toEqual({
      kind: "shell",
      executablePath: path.join(cacheDir, "headless-shell-900.0.0", "chromium"),
      version: "Chromium 900.0.0.4242.0",
    });
    // Cached in-process: the same Promise for the same choice and options.
    expect(resolveBrowser("auto", { env: {}, shellPackage: fakePkg, cacheDir })).toBe(resolveBrowser("auto", { env: {}, shellPackage: fakePkg, cacheDir }));
  });

  it("auto: the system Chromium when the package is missing", async () => {
    const resolved = await resolveBrowser("auto", { env: {}, shellPackage: "absent" });
    expect(resolved.kind).toBe("system");
    expect(resolved.version).toMatch(/^Chromium \d+/);
    expect(resolved.version).not.toMatch(/built on/);
    expect(await resolveBrowser("system")).toMatchObject({ kind: "system", executablePath: resolved.executablePath });
  });

  it("auto: the system Chromium, with a note, when the shell cannot be unpacked; shell: the unpack error", async () => {
    // A cache root under a regular file cannot be created (like a read-only home).
    const blocker = path.join(tempDir("flm-bp-ro-"), "file");
    writeFileSync(blocker, "");
    const cacheDir = path.join(blocker, "cache");
    const resolved = await resolveBrowser("auto", { env: {}, shellPackage: fakePkg, cacheDir });
    expect(resolved.kind).toBe("system");
    expect(resolved.note).toMatch(/headless shell is unavailable \(could not unpack the headless shell into .*\); capturing with the system Chromium/);
    await expect(resolveBrowser("shell", { env: {}, shellPackage: fakePkg, cacheDir })).rejects.toMatchObject({ code: "FLM_ERR_CAPTURE_BROWSER_UNPACK" });
  });

  it("shell: a coded error saying how to install the package when it is missing", async () => {
    await expect(resolveBrowser("shell", { shellPackage: "absent" })).rejects.toMatchObject({
      code: "FLM_ERR_CAPTURE_BROWSER_MISSING",
      message: expect.stringContaining("npm install @sparticuz/chromium"),
    });
  });

  it("a path: accepted when executable, a coded error naming it otherwise", async () => {
    const dir = tempDir("flm-bp-path-");
    const plain = path.join(dir, "not-executable");
    writeFileSync(plain, "#!/bin/sh\necho Chromium 1.0.0.0\n");
    await expect(resolveBrowser(plain)).rejects.toMatchObject({
      code: "FLM_ERR_CAPTURE_BROWSER_NOT_EXECUTABLE",
      message: expect.stringContaining(`${plain} is not executable`),
    });
    await expect(resolveBrowser(dir)).rejects.toMatchObject({ code: "FLM_ERR_CAPTURE_BROWSER_NOT_EXECUTABLE", message: expect.stringContaining(`${dir} is not a file`) });
    await expect(resolveBrowser(path.join(dir, "missing"))).rejects.toMatchObject({ message: expect.stringContaining("does not exist") });
    chmodSync(plain, 0o755);
    expect(await resolveBrowser(plain)).toEqual({ kind: "path", executablePath: plain, version: "Chromium 1.0.0.0" });
    // An executable that prints nothing is not taken for a browser.
    const silent = path.join(dir, "silent");
    writeFileSync(silent, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    await expect(resolveBrowser(silent)).rejects.toMatchObject({ code: "FLM_ERR_CAPTURE_BROWSER_LAUNCH" });
  });

  it("finds the installed @sparticuz/chromium and defaults the cache under the user's cache dir", () => {
    expect(findShellPackage()).toMatch(/node_modules\/@sparticuz\/chromium$/);
    expect(findShellPackage("absent")).toBeNull();
    expect(shellCacheRoot({ FRAMELOOM_CACHE_DIR: "/c/f" })).toBe("/c/f");
    expect(shellCacheRoot({ XDG_CACHE_HOME: "/c/x" })).toBe("/c/x/frameloom");
    expect(shellCacheRoot({ HOME: "/h" })).toMatch(/\.cache\/frameloom$/);
  });
});

describe("unpackHeadlessShell", () => {
  it("leaves chromium (0755), the SwiftShader libraries, locales/ and the marker, and nothing else", async () => {
    const cacheDir = tempDir("flm-bp-cache-");
    const dir = await unpackHeadlessShell(fakePkg, cacheDir);
    expect(readdirSync(dir).sort()).toEqual([".frameloom-unpacked", "chromium", "locales", ...SWIFTSHADER_FILES].sort());
    expect(readdirSync(cacheDir)).toEqual(["headless-shell-900.0.0"]);
    expect(execFileSync(path.join(dir, "chromium"), ["--version"], { encoding: "utf8" }).trim()).toBe("Chromium 900.0.0.4242.0");
  });

  it("two unpacks racing for the same dir both end up on the winner's, leaving no temp dir", async () => {
    const cacheDir = tempDir("flm-bp-cache-");
    // A second spelling of the same dir: the in-process cache does not join the two, as with two processes.
    const alias = path.join(tempDir("flm-bp-alias-"), "cache");
    symlinkSync(cacheDir, alias);
    const [a, b] = await Promise.all([unpackHeadlessShell(fakePkg, cacheDir), unpackHeadlessShell(fakePkg, alias)]);
    expect(realpathSync(a)).toBe(realpathSync(b));
    expect(readdirSync(cacheDir)).toEqual(["headless-shell-900.0.0"]);
  });

  it("replaces a dir under the final name that has no completion marker (an interrupted copy)", async () => {
    const cacheDir = tempDir("flm-bp-cache-");
    const broken = path.join(cacheDir, "headless-shell-900.0.0");
    mkdirSync(broken, { recursive: true });
    writeFileSync(path.join(broken, "chromium"), "half");
    const dir = await unpackHeadlessShell(fakePkg, cacheDir);
    expect(dir).toBe(broken);
    expect(existsSync(path.join(dir, ".frameloom-unpacked"))).toBe(true);
    expect(readdirSync(cacheDir)).toEqual(["headless-shell-900.0.0"]);
  });

  it("a package without its archives is a coded unpack error, and no temp dir stays", async () => {
    const cacheDir = tempDir("flm-bp-cache-");
    const pkg = tempDir("flm-bp-empty-pkg-");
    writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ version: "901.0.0" }));
    await expect(unpackHeadlessShell(pkg, cacheDir)).rejects.toMatchObject({ code: "FLM_ERR_CAPTURE_BROWSER_UNPACK" });
    expect(readdirSync(cacheDir)).toEqual([]);
  });
});
