/**
 * `frameloom doctor [--fix] [--browser <which>]`: checks what a render needs (Chromium, the
 * browser `--browser` resolves to and the capture method it allows, ffmpeg and its encoders,
 * ffprobe, fonts, the HDR addon) and, with --fix as root on Debian/Ubuntu, installs what is missing
 * with apt-get.
 *
 * "capture method" launches the resolved browser with the BeginFrame flags, as a render does, and
 * runs the BeginFrame probe on a data: page: "beginframe" when it passes, else "screenshot" with
 * the probe's reason. Both are fine for a render (ok); only a browser that does not start fails.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { errorMessage, findChromium, findFfmpeg, findFfprobe, which, type BrowserChoice } from "@frameloom/shared-helpers";
import { probeBrowserBeginFrame, resolveBrowser, type ResolvedBrowser } from "@frameloom/stage-capture";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** Debian packages that fix it. */
  packages?: string[];
}

const ENCODERS = ["libx264", "libx265", "libvpx-vp9", "prores_ks", "png", "gif"];

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
}

export interface CheckOptions {
  /**
   * Adds the "browser" and "capture method" checks for this `--browser` choice (the CLI always
   * passes one, "auto" by default). Omitted: they are skipped, as they launch a browser.
   */
  browser?: BrowserChoice;
}

export async function runChecks(options: CheckOptions = {}): Promise<Check[]> {
  const checks: Check[] = [];
  try {
    const chromium = findChromium();
    const version = run(chromium, ["--version"]).trim();
    checks.push({ name: "chromium", ok: true, detail: `${version} (${chromium})` });
  } catch (error) {
    checks.push({ name: "chromium", ok: false, detail: errorMessage(error), packages: ["chromium"] });
  }
  if (options.browser !== undefined) checks.push(...(await browserChecks(options.browser)));
  try {
    const ffmpeg = findFfmpeg();
    const encoders = run(ffmpeg, ["-hide_banner", "-encoders"]);
    const missing = ENCODERS.filter((e) => !new RegExp(`\\s${e}\\s`).test(encoders));
    checks.push({
      name: "ffmpeg",
      ok: missing.length === 0,
      detail: missing.length ? `${ffmpeg}: missing encoders ${missing.join(", ")}` : `${ffmpeg} (encoders: ${ENCODERS.join(", ")})`,
      packages: missing.length ? ["ffmpeg"] : undefined,
    });
  } catch (error) {
    checks.push({ name: "ffmpeg", ok: false, detail: errorMessage(error), packages: ["ffmpeg"] });
  }
  try {
    checks.push({ name: "ffprobe", ok: true, detail: findFfprobe() });
  } catch (error) {
    checks.push({ name: "ffprobe", ok: false, detail: errorMessage(error), packages: ["ffmpeg"] });
  }
  if (which("fc-list")) {
    const families = run("fc-list", [":", "family"]).split("\n").filter(Boolean);
    checks.push({
      name: "fonts",
      ok: families.length > 0,
      detail: `${families.length} font families`,
      packages: families.length > 0 ? undefined : ["fonts-dejavu-core", "fonts-liberation"],
    });
  } else {
    checks.push({ name: "fonts", ok: false, detail: "fontconfig not found", packages: ["fontconfig", "fonts-dejavu-core", "fonts-liberation"] });
  }
  checks.push(await hdrAddonCheck());
  return checks;
}

/** "browser" (what `--browser <choice>` resolves to) and "capture method" (the BeginFrame probe in it). */
async function browserChecks(choice: BrowserChoice): Promise<Check[]> {
  let browser: ResolvedBrowser;
  try {
    browser = await resolveBrowser(choice);
  } catch (error) {
    const failed = `--browser ${choice}: ${errorMessage(error)}`;
    return [
      { name: "browser", ok: false, detail: failed },
      { name: "capture method", ok: false, detail: "no browser to probe" },
    ];
  }
  const checks: Check[] = [{ name: "browser", ok: true, detail: `${browser.kind}: ${browser.version} (${browser.executablePath})` }];
  try {
    const probe = await probeBrowserBeginFrame(browser.executablePath);
    checks.push({
      name: "capture method",
      ok: true,
      detail: probe.ok ? `beginframe (probe ${probe.ms} ms)` : `screenshot (${probe.reason})`,
    });
  } catch (error) {
    checks.push({ name: "capture method", ok: false, detail: `${browser.executablePath} did not start: ${errorMessage(error)}` });
  }
  return checks;
}

async function hdrAddonCheck(): Promise<Check> {
  try {
    const mod = (await import("@frameloom/stage-hdr-native")) as { nativeAddonStatus?: () => { loaded: boolean; path?: string; error?: string } };
    const status = mod.nativeAddonStatus?.();
    if (!status) return { name: "hdr-addon", ok: false, detail: "stage-hdr-native has no nativeAddonStatus()" };
    return {
      name: "hdr-addon",
      ok: status.loaded,
      detail: status.loaded ? `loaded (${status.path})` : `not loaded: ${status.error} (run npm run build; needs cmake and g++)`,
      packages: status.loaded ? undefined : ["cmake", "g++"],
    };
  } catch (error) {
    return { name: "hdr-addon", ok: false, detail: errorMessage(error) };
  }
}

/** Installs the Debian packages the failed checks name. Returns false where it cannot. */
export function fix(checks: Check[], log: (line: string) => void): boolean {
  const packages = [...new Set(checks.filter((c) => !c.ok).flatMap((c) => c.packages ?? []))];
  if (packages.length === 0) return true;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!which("apt-get")) {
    log(`cannot fix: apt-get not found; install ${packages.join(" ")} with your package manager`);
    return false;
  }
  if (!isRoot) {
    log(`cannot fix without root; run: sudo apt-get install -y ${packages.join(" ")}`);
    return false;
  }
  log(`installing: ${packages.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  const install = spawnSync("apt-get", ["install", "-y", "-qq", ...packages], { stdio: "inherit", env });
  return update.status === 0 && install.status === 0;
}
