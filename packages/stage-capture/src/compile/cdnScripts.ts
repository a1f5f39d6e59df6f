/**
 * Scripts from CDNs (docs/capture.md, "Fonts" and "CDN scripts"): a `<script src>` on jsdelivr,
 * unpkg, cdnjs or ajax.googleapis.com for an npm package (gsap and its plugins, animejs, d3,
 * lottie-web, three, or any package on the npm CDNs) is served from a local npm copy of the same
 * major version (0.x: the same minor), found in `node_modules` above the project first, then above
 * Frameloom's own packages. The tag's `src` becomes `/__frameloom/lib/<name>@<version>/<path>`
 * (the file server maps it back to the package file; `integrity`/`crossorigin` go). Without a
 * copy it is a warning naming the URL (the network guard blocks the request);
 * FLM_ERR_COMPILE_CDN_SCRIPT_UNAVAILABLE with `strict`.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FrameloomError } from "@frameloom/shared-helpers";
import { redactUrl } from "../server/networkGuard.js";
import { CompileErrors } from "./errors.js";
import { allElements, attr, removeAttr, setAttr, type Node } from "./tree.js";

export const LIB_URL_PREFIX = "/__frameloom/lib/";

/** cdnjs / Google library names → npm package. */
const CDNJS_NAMES: Readonly<Record<string, string>> = {
  gsap: "gsap",
  animejs: "animejs",
  "anime.js": "animejs",
  d3: "d3",
  "lottie-web": "lottie-web",
  bodymovin: "lottie-web",
  "three.js": "three",
  three: "three",
};
/** Where a cdnjs file name lies in the npm package, tried in order. */
const CDNJS_DIRS = ["dist", "build", "lib", "build/player", ""];

export interface CdnRef {
  pkg: string;
  /** As in the URL ("" when none: any version). */
  version: string;
  /** Path inside the package ("" = the package's browser entry); cdnjs: a file name to look up. */
  file: string;
  cdnjs: boolean;
}

/** Parses a CDN script URL; null when it is not one. */
export function parseCdnUrl(url: string): CdnRef | null {
  let u: URL;
  try {
    u = new URL(url, "https://x.invalid/");
  } catch {
    return null;
  }
  if (!/^https?:$/.test(u.protocol)) return null;
  const p = decodeURIComponent(u.pathname);
  const npm = (rest: string): CdnRef | null => {
    const m = /^((?:@[^/@]+\/)?[^/@]+)(?:@([^/]*))?(?:\/(.*))?$/.exec(rest);
    return m ? { pkg: m[1]!, version: m[2] ?? "", file: m[3] ?? "", cdnjs: false } : null;
  };
  if (u.host === "cdn.jsdelivr.net" && p.startsWith("/npm/")) return npm(p.slice(5));
  if (u.host === "unpkg.com") return npm(p.slice(1));
  const lib = /^\/ajax\/libs\/([^/]+)\/([^/]+)\/(.+)$/.exec(p);
  if (lib && (u.host === "cdnjs.cloudflare.com" || u.host === "ajax.googleapis.com")) {
    const pkg = CDNJS_NAMES[lib[1]!.toLowerCase()];
    return pkg ? { pkg, version: lib[2]!.replace(/^r(\d+)$/, "0.$1.0"), file: lib[3]!, cdnjs: true } : null;
  }
  return null;
}

/** Same major (0.x: same minor); an empty or non-numeric wanted version matches any. */
export function sameMajor(wanted: string, installed: string): boolean {
  const w = /^v?(\d+)(?:\.(\d+))?/.exec(wanted);
  if (!w) return true;
  const i = /^(\d+)\.(\d+)/.exec(installed);
  if (!i) return false;
  if (w[1] !== i[1]) return false;
  return w[1] !== "0" || w[2] === undefined || w[2] === i[2];
}

const OWN_DIR = path.dirname(fileURLToPath(import.meta.url));

/** `node_modules/<pkg>` above the project, then above Frameloom's packages; the first whose version matches. */
export function findLocalPackage(pkg: string, version: string, projectDir: string): { dir: string; version: string } | null {
  for (const start of [projectDir, OWN_DIR]) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      const manifest = path.join(dir, "node_modules", pkg, "package.json");
      if (existsSync(manifest)) {
        try {
          const v = String((JSON.parse(readFileSync(manifest, "utf8")) as { version?: unknown }).version ?? "");
          if (sameMajor(version, v)) return { dir: path.dirname(manifest), version: v };
        } catch {
          // unreadable manifest: keep looking
        }
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  return null;
}

/** The file a CDN reference names in a local package dir (relative, `/`-separated); null when absent. */
function fileIn(dir: string, ref: CdnRef): string | null {
  const isFile = (rel: string): boolean => {
    const full = path.join(dir, rel);
    return !path.relative(dir, full).startsWith("..") && existsSync(full) && statSync(full).isFile();
  };
  if (ref.cdnjs) {
    for (const sub of CDNJS_DIRS) {
      const rel = sub ? `${sub}/${ref.file}` : ref.file;
      if (isFile(rel)) return rel;
    }
    return null;
  }
  if (ref.file !== "") return isFile(ref.file) ? ref.file : isFile(`${ref.file}.js`) ? `${ref.file}.js` : null;
  const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as Record<string, unknown>;
  for (const field of ["jsdelivr", "unpkg", "browser", "main"]) {
    const value = manifest[field];
    if (typeof value === "string" && (isFile(value.replace(/^\.\//, "")) || isFile(`${value.replace(/^\.\//, "")}.js`))) {
      const rel = value.replace(/^\.\//, "");
      return isFile(rel) ? rel : `${rel}.js`;
    }
  }
  return null;
}

export interface CdnOptions {
  projectDir: string;
  strict: boolean;
  warnings: string[];
}

/** Rewrites CDN `<script src>`s of the document to local copies; returns the local URLs by CDN URL. */
export function localiseCdnScripts(document: Node, options: CdnOptions): Map<string, string> {
  const mapped = new Map<string, string>();
  for (const el of allElements(document)) {
    if (el.tagName !== "script") continue;
    const src = attr(el, "src");
    if (src === null || !/^(https?:)?\/\//i.test(src.trim())) continue;
    const url = src.trim().startsWith("//") ? `https:${src.trim()}` : src.trim();
    const ref = parseCdnUrl(url);
    if (!ref) continue;
    const local = findLocalPackage(ref.pkg, ref.version, options.projectDir);
    const file = local ? fileIn(local.dir, ref) : null;
    if (!local || !file) {
      const wanted = ref.version ? `${ref.pkg}@${/^\d+/.exec(ref.version)?.[0] ?? ref.version}` : ref.pkg;
      const message =
        `script ${redactUrl(url)} comes from a CDN and no local copy of ${wanted}` +
        `${local ? ` has ${ref.file}` : " is installed"}: run \`npm install ${wanted}\` in the project (the page cannot fetch it)`;
      if (options.strict) throw new FrameloomError(CompileErrors.CDN_SCRIPT_UNAVAILABLE, `--strict: ${message}`, { details: { url: redactUrl(url) } });
      options.warnings.push(message);
      continue;
    }
    const localUrl = `${LIB_URL_PREFIX}${ref.pkg}@${local.version}/${file.split("/").map(encodeURIComponent).join("/")}`;
    setAttr(el, "src", localUrl);
    removeAttr(el, "integrity");
    removeAttr(el, "crossorigin");
    mapped.set(url, localUrl);
  }
  return mapped;
}

/**
 * The file server's side: `<name>@<version>/<path>` (after LIB_URL_PREFIX, decoded segments) → the
 * package file, when a local copy of exactly that version exists; null otherwise.
 */
export function libFile(segments: string[], projectDir: string): string | null {
  const scoped = segments[0]?.startsWith("@");
  const head = scoped ? `${segments[0]}/${segments[1] ?? ""}` : (segments[0] ?? "");
  const rest = segments.slice(scoped ? 2 : 1);
  const m = /^((?:@[^/@]+\/)?[^/@]+)@(\d[^/]*)$/.exec(head);
  if (!m || rest.length === 0) return null;
  const local = findLocalPackage(m[1]!, m[2]!, projectDir);
  if (!local || local.version !== m[2]) return null;
  const full = path.join(local.dir, ...rest);
  if (path.relative(local.dir, full).startsWith("..")) return null;
  return full;
}
