/**
 * Fonts, offline and deterministic (docs/capture.md, "Fonts"): `font-family: Inter, system-ui,
 * sans-serif` renders the bundled Inter, glyph for glyph the same width as a project @font-face of
 * the Inter file itself (a rendered reference) and narrower than DejaVu Sans; the same page renders
 * bit-identically when the host's fontconfig prefers other fonts for sans-serif / Arial / system-ui.
 */
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { render } from "@frameloom/cli";
import { decodeImage, near, pixel, type RgbaFrame } from "./helpers/media.js";
import { sandbox, type Sandbox } from "./helpers/sandbox.js";

const require = createRequire(path.join(process.cwd(), "../packages/stage-capture/package.json"));
const INTER = path.join(path.dirname(require.resolve("@fontsource/inter/package.json")), "files/inter-latin-400-normal.woff2");
const TEXT = "Hamburgefonstiv WAVE 0123";
const LINES: [string, string][] = [
  ["a", 'font-family: Inter, system-ui, sans-serif'],
  ["b", 'font-family: "RefInter"'],
  ["c", 'font-family: "RefDejaVu"'],
  ["d", "font-family: Arial, Helvetica, sans-serif"],
  ["e", "font-family: system-ui"],
];
const HTML = `<!doctype html><html><head><meta charset="utf-8"><style>
@font-face { font-family: "RefInter"; src: url(ref-inter.woff2) format("woff2"); }
@font-face { font-family: "RefDejaVu"; src: url(ref-dejavu.ttf); }
* { margin:0; padding:0; } html, body { background:#000; overflow:hidden; }
#root { position:relative; width:480px; height:200px; overflow:hidden; }
.l { position:absolute; left:0; font-size:24px; line-height:30px; color:#fff; white-space:nowrap; }
${LINES.map(([id, css], i) => `#${id} { top:${i * 40}px; ${css}; }`).join("\n")}
</style></head><body>
<div id="root" data-composition-id="f" data-width="480" data-height="200" data-duration="0.1" data-no-timeline>
${LINES.map(([id]) => `<div class="l" id="${id}">${TEXT}</div>`).join("\n")}
</div></body></html>`;

/** Rightmost lit column of a text line (its advance, to within antialiasing). */
function rightEdge(frame: RgbaFrame, top: number): number {
  let edge = -1;
  for (let y = top; y < top + 30; y++) for (let x = 0; x < frame.width; x++) if (!near(pixel(frame, x, y), [0, 0, 0], 60)) edge = Math.max(edge, x);
  return edge;
}

describe("fonts resolve to bundled families, the same on every host", () => {
  let box: Sandbox;
  let dir: string;
  let control: string;
  const frames: RgbaFrame[] = [];
  /** A control page whose family is set from JavaScript (not rewritten): it must change with the host. */
  const controls: RgbaFrame[] = [];
  const warnings: string[] = [];

  async function renderOnce(label: string, input = dir): Promise<RgbaFrame> {
    const out = path.join(box.out, label);
    await render({ input, output: out, format: "png-sequence", workers: 1, onWarning: (w) => warnings.push(w) });
    const file = readdirSync(out).filter((f) => f.endsWith(".png")).sort()[0]!;
    return decodeImage(path.join(out, file));
  }

  beforeAll(async () => {
    box = sandbox("fonts");
    dir = box.project("fonts", HTML);
    copyFileSync(INTER, path.join(dir, "ref-inter.woff2"));
    copyFileSync("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", path.join(dir, "ref-dejavu.ttf"));
    control = box.project(
      "control",
      HTML.replace("</body>", `<script>document.querySelectorAll(".l").forEach((el) => { el.style.fontFamily = "sans-serif"; });</script></body>`),
    );
    frames.push(await renderOnce("plain"));
    controls.push(await renderOnce("control-plain", control));
    // A host with an extra font that fontconfig prefers for sans-serif, Arial and system-ui.
    const conf = path.join(box.root, "xdg-config/fontconfig");
    const data = path.join(box.root, "xdg-data/fonts");
    mkdirSync(conf, { recursive: true });
    mkdirSync(data, { recursive: true });
    copyFileSync("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", path.join(data, "Extra.ttf"));
    const prefer = (f: string) => `<alias binding="strong"><family>${f}</family><prefer><family>DejaVu Serif</family></prefer></alias>`;
    writeFileSync(path.join(conf, "fonts.conf"), `<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig><include ignore_missing="yes">/etc/fonts/fonts.conf</include><dir>${data}</dir>${["sans-serif", "Arial", "Helvetica", "system-ui"].map(prefer).join("")}</fontconfig>`);
    const saved = { c: process.env.XDG_CONFIG_HOME, d: process.env.XDG_DATA_HOME };
    process.env.XDG_CONFIG_HOME = path.join(box.root, "xdg-config");
    process.env.XDG_DATA_HOME = path.join(box.root, "xdg-data");
    try {
      frames.push(await renderOnce("extra-font"));
      controls.push(await renderOnce("control-extra-font", control));
    } finally {
      if (saved.c === undefined) delete process.env.XDG_CONFIG_HOME; else process.env.XDG_CONFIG_HOME = saved.c;
      if (saved.d === undefined) delete process.env.XDG_DATA_HOME; else process.env.XDG_DATA_HOME = saved.d;
    }
  }, 120_000);
  afterAll(() => box?.cleanup());

  it("renders Inter: the same advance as the Inter file itself, narrower than DejaVu Sans", () => {
    const [a, b, c, d, e] = LINES.map((_, i) => rightEdge(frames[0]!, i * 40));
    console.log(`glyph widths: Inter,system-ui=${a} RefInter=${b} RefDejaVu=${c} Arial=${d} system-ui=${e}`);
    expect(Math.abs(a! - b!)).toBeLessThanOrEqual(1);
    expect(Math.abs(d! - b!)).toBeLessThanOrEqual(1);
    expect(Math.abs(e! - b!)).toBeLessThanOrEqual(1);
    expect(c! - b!).toBeGreaterThan(15);
    expect(warnings.filter((w) => w.includes("font family"))).toEqual([]);
  });

  it("renders identically on a host whose fontconfig prefers another font", () => {
    // The host change is real: a family set from JavaScript (not rewritten) follows it.
    expect(Buffer.compare(Buffer.from(controls[0]!.data), Buffer.from(controls[1]!.data))).not.toBe(0);
    const [x, y] = frames;
    expect(Buffer.compare(Buffer.from(x!.data), Buffer.from(y!.data))).toBe(0);
  });
});
