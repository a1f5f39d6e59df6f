import { accessSync, constants, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { FrameloomError, SharedErrors } from "./errors.js";

const FIX_HINT = "run `frameloom doctor --fix` (as root on Debian/Ubuntu) or install it with your package manager";

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds an executable on PATH, or null. */
export function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function ffmpegStaticPath(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const found = require("ffmpeg-static") as unknown;
    return typeof found === "string" && isExecutable(found) ? found : null;
  } catch {
    return null;
  }
}

/** ffmpeg: `FFMPEG_PATH` → ffmpeg-static's binary if installed → `ffmpeg` on PATH. */
export function findFfmpeg(): string {
  const fromEnv = process.env.FFMPEG_PATH;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new FrameloomError(SharedErrors.DISCOVERY_FFMPEG, `FFMPEG_PATH="${fromEnv}" is not an executable file`);
  }
  const found = ffmpegStaticPath() ?? which("ffmpeg");
  if (found) return found;
  throw new FrameloomError(SharedErrors.DISCOVERY_FFMPEG, `ffmpeg not found (set FFMPEG_PATH, or ${FIX_HINT}: apt-get install ffmpeg)`);
}

/** ffprobe: `FFPROBE_PATH` → next to the resolved ffmpeg → `ffprobe` on PATH. */
export function findFfprobe(): string {
  const fromEnv = process.env.FFPROBE_PATH;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new FrameloomError(SharedErrors.DISCOVERY_FFPROBE, `FFPROBE_PATH="${fromEnv}" is not an executable file`);
  }
  let beside: string | null = null;
  try {
    const candidate = path.join(path.dirname(findFfmpeg()), "ffprobe");
    if (isExecutable(candidate)) beside = candidate;
  } catch {
    /* fall through to PATH */
  }
  const found = beside ?? which("ffprobe");
  if (found) return found;
  throw new FrameloomError(SharedErrors.DISCOVERY_FFPROBE, `ffprobe not found (set FFPROBE_PATH, or ${FIX_HINT}: apt-get install ffmpeg)`);
}

const CHROMIUM_CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome-stable",
  "/usr/bin/google-chrome",
  "/snap/bin/chromium",
];

/** Chromium: `FRAMELOOM_CHROMIUM` / `PUPPETEER_EXECUTABLE_PATH` → Debian/Ubuntu locations → PATH. */
export function findChromium(): string {
  for (const name of ["FRAMELOOM_CHROMIUM", "PUPPETEER_EXECUTABLE_PATH"]) {
    const value = process.env[name];
    if (!value) continue;
    if (isExecutable(value)) return value;
    throw new FrameloomError(SharedErrors.DISCOVERY_CHROMIUM, `${name}="${value}" is not an executable file`);
  }
  for (const candidate of CHROMIUM_CANDIDATES) if (existsSync(candidate) && isExecutable(candidate)) return candidate;
  const found = which("chromium") ?? which("chromium-browser") ?? which("google-chrome");
  if (found) return found;
  throw new FrameloomError(
    SharedErrors.DISCOVERY_CHROMIUM,
    `Chromium not found (set FRAMELOOM_CHROMIUM, or ${FIX_HINT}: apt-get install chromium)`,
  );
}

/**
 * Chromium flags every Frameloom browser gets (see CAPTURE-NOTES.md). Besides rendering, they
 * close the doors that do not need a port number (docs/capture.md, "Sealed page"): no host name
 * resolves (IP literals only, so no DNS query ever leaves), WebRTC may use UDP only through a
 * proxy (there never is one that carries UDP, so no STUN/TURN datagram leaves), no mDNS names, no
 * new windows or tabs (popups), no network-time or component-update queries. The proxy that
 * catches every other connection is per render (its port), added by the capture stage.
 */
export function chromiumArgs(extra: string[] = []): string[] {
  const args = [
    "--headless=new",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--force-color-profile=srgb",
    "--hide-scrollbars",
    "--mute-audio",
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    // Debian's Chromium (new headless) ignores this switch and hints text "slight" (fontconfig's default);
    // the headless shell honours it: "slight" makes both draw glyphs identically (measured: PSNR inf).
    "--font-render-hinting=slight",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    // The same as a content switch: the headless shell has no Chrome preferences, so it only honours this one.
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--block-new-web-contents",
    "--disable-features=WebRtcHideLocalIpsWithMdns,NetworkTimeServiceQuerying",
  ];
  if (typeof process.getuid === "function" && process.getuid() === 0) args.push("--no-sandbox");
  return [...args, ...extra];
}
