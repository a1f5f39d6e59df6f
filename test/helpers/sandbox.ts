/** Per-test sandbox: a temp dir holding projects, outputs and the renders' TMPDIR. */
import { mkdtempSync, mkdirSync, writeFileSync, copyFileSync, readdirSync, rmSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = path.join(REPO, "packages/cli/dist/bin.js");
const require = createRequire(import.meta.url);
export const GSAP_JS = path.join(path.dirname(require.resolve("gsap/package.json")), "dist/gsap.min.js");

export interface Sandbox {
  root: string;
  /** TMPDIR for renders (work dirs + Chromium profiles land here). */
  tmp: string;
  out: string;
  /** Writes `<root>/<name>/index.html` (plus gsap.min.js when asked); returns the project dir. */
  project(name: string, html: string, opts?: { gsap?: boolean; files?: Record<string, string> }): string;
  /** Files left in the output dir (dot-files included). */
  outFiles(): string[];
  /** frameloom temp dirs left under tmp. */
  tmpLeft(): string[];
  cleanup(): void;
}

export function sandbox(label: string): Sandbox {
  const root = mkdtempSync(path.join("/tmp", `flm-e2e-${label}-`));
  const tmp = path.join(root, "tmp");
  const out = path.join(root, "out");
  mkdirSync(tmp);
  mkdirSync(out);
  process.env.TMPDIR = tmp;
  return {
    root,
    tmp,
    out,
    project(name, html, opts = {}) {
      const dir = path.join(root, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, "index.html"), html);
      if (opts.gsap) copyFileSync(GSAP_JS, path.join(dir, "gsap.min.js"));
      for (const [file, text] of Object.entries(opts.files ?? {})) writeFileSync(path.join(dir, file), text);
      return dir;
    },
    outFiles: () => (existsSync(out) ? readdirSync(out) : []),
    tmpLeft: () => readdirSync(tmp).filter((f) => f.startsWith("frameloom-")),
    cleanup() {
      delete process.env.TMPDIR;
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A minimal full-document composition: black background, given body markup inside the root. */
export function page(opts: { id?: string; width?: number; height?: number; duration?: string | null; extraRootAttrs?: string; style?: string; body?: string; script?: string; gsap?: boolean; bodyBg?: string }): string {
  const { id = "comp", width = 320, height = 180, duration = "1", extraRootAttrs = "", style = "", body = "", script = "", gsap = false } = opts;
  const bg = opts.bodyBg ?? "#000";
  return `<!doctype html>
<html><head><meta charset="utf-8">
<style>* { margin:0; padding:0; box-sizing:border-box; } html, body { background:${bg}; overflow:hidden; }
#root { position:relative; width:${width}px; height:${height}px; overflow:hidden; }
.blk { position:absolute; }
${style}</style>
${gsap ? '<script src="gsap.min.js"></script>' : ""}
</head><body>
<div id="root" data-composition-id="${id}" data-width="${width}" data-height="${height}"${duration === null ? "" : ` data-duration="${duration}"`} ${extraRootAttrs}>
${body}
</div>
<script>${script}</script>
</body></html>`;
}
