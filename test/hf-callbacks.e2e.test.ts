/**
 * GSAP callbacks on seek (COMPOSITION.md §3.4): counters driven by `tl.call()`, by a tween's
 * `onUpdate` (its value, and how often it ran) and by `onComplete` show, at every frame, what a
 * sequential play from 0 shows, whatever the capture order: one worker, two workers (the streaming
 * route's interleaved chunks and the disk route's halves), and `--frames` starting mid-timeline
 * (run through the npm-linked `frameloom` command). Decoded pixels are read at every frame.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { render } from "@frameloom/cli";
import { decodeAll, near, pixel, type RgbaFrame } from "./helpers/media.js";
import { leftovers } from "./helpers/procs.js";
import { REPO, page, sandbox, type Sandbox } from "./helpers/sandbox.js";

const FRAMES = 90;
const CELL = 40;
const ROWS = { calls: 0, value: 45, updates: 90, done: 135 } as const;
type Counters = Record<keyof typeof ROWS, number>;

/**
 * 320x180, 3 s at 30 fps. Four rows of 8 binary cells (40 px, least significant bit left):
 * calls (tl.call at 0, at 1 = exactly frame 30, and at 0.05 + 0.1·j for j = 0…24, all between frames),
 * value (Math.round of a 0 → 60 tween over 0.5 … 2.5 s, painted by its onUpdate), updates (how many
 * times that onUpdate ran) and done (how many times its onComplete ran). `__timelines` is used without
 * being created first.
 */
export const CALLBACKS_HTML = page({
  id: "cb",
  width: 320,
  height: 180,
  duration: "3",
  gsap: true,
  body: Object.values(ROWS)
    .flatMap((top, row) => Array.from({ length: 8 }, (_, b) => `<div class="blk" id="c${row}_${b}" style="left:${b * CELL}px;top:${top}px;width:${CELL}px;height:${CELL}px;background:#000"></div>`))
    .join("\n"),
  script: `
  function paint(row, value) {
    for (let b = 0; b < 8; b++) document.getElementById("c" + row + "_" + b).style.background = (value >> b) & 1 ? "#fff" : "#000";
  }
  const s = { calls: 0, updates: 0, done: 0 };
  const o = { v: 0 };
  const tl = gsap.timeline({ paused: true });
  const at = [0, 1];
  for (let j = 0; j < 25; j++) at.push(0.05 + 0.1 * j);
  at.forEach((p) => tl.call(() => { s.calls += 1; paint(0, s.calls); }, null, p));
  tl.to(o, { v: 60, duration: 2, ease: "none",
    onUpdate() { paint(1, Math.round(o.v)); s.updates += 1; paint(2, s.updates); },
    onComplete() { s.done += 1; paint(3, s.done); } }, 0.5);
  window.__timelines["cb"] = tl;`,
});

/** What a sequential play shows at frame k (t = k/30). */
export function expected(k: number): Counters {
  const between = k < 1.5 ? 0 : Math.min(25, Math.floor((k - 1.5) / 3) + 1);
  return {
    calls: 1 + (k >= 30 ? 1 : 0) + between,
    value: Math.min(60, Math.max(0, k - 15)),
    updates: k < 15 ? 0 : Math.min(k, 75) - 15 + 1,
    done: k >= 75 ? 1 : 0,
  };
}

function read(frame: RgbaFrame): Counters | string {
  const out = {} as Counters;
  for (const [name, top] of Object.entries(ROWS) as [keyof Counters, number][]) {
    let value = 0;
    for (let b = 0; b < 8; b++) {
      const p = pixel(frame, b * CELL + CELL / 2, top + CELL / 2);
      if (near(p, [255, 255, 255], 48)) value |= 1 << b;
      else if (!near(p, [0, 0, 0], 48)) return `${name} cell ${b} is ${p.slice(0, 3).join(",")}`;
    }
    out[name] = value;
  }
  return out;
}

function run(file: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("GSAP callbacks fire on seek, the same at every frame whatever the capture order", () => {
  let box: Sandbox;
  let dir: string;
  const renders = new Map<string, { first: number; frames: RgbaFrame[] }>();

  beforeAll(async () => {
    box = sandbox("hf-callbacks");
    dir = box.project("cb", CALLBACKS_HTML, { gsap: true });
    const api = async (name: string, options: { workers: number; route?: "disk" | "streaming" }) => {
      const output = path.join(box.out, `${name}.mp4`);
      const summary = await render({ input: dir, output, quality: "standard", ...options });
      expect(summary.workers, name).toBe(options.workers);
      renders.set(name, { first: 0, frames: await decodeAll(output) });
    };
    await api("workers-1", { workers: 1 });
    await api("workers-2", { workers: 2 });
    await api("workers-2-disk", { workers: 2, route: "disk" });
    // The command npm links (packages/cli/bin/frameloom.js), as `npx frameloom` runs it.
    const output = path.join(box.out, "frames-45-89.mp4");
    const r = await run(path.join(REPO, "node_modules/.bin/frameloom"), ["render", dir, "-o", output, "--workers", "2", "--frames", "45-89", "--quiet"], { TMPDIR: box.tmp });
    expect(r.code, r.stderr).toBe(0);
    renders.set("frames-45-89 --workers 2", { first: 45, frames: await decodeAll(output) });
  });
  afterAll(() => box?.cleanup());

  it("renders every frame of each run, and leaves nothing behind", async () => {
    expect(Object.fromEntries([...renders].map(([name, r]) => [name, r.frames.length]))).toEqual({
      "workers-1": FRAMES,
      "workers-2": FRAMES,
      "workers-2-disk": FRAMES,
      "frames-45-89 --workers 2": 45,
    });
    expect(await leftovers(box.root)).toEqual([]);
    expect(box.tmpLeft()).toEqual([]);
  });

  it("chosen frames show the expected counters (call at 0 on frame 0, the call on frame 30 once, the tween's end on frame 75)", () => {
    const at = (k: number) => read(renders.get("workers-1")!.frames[k]!);
    expect(at(0)).toEqual({ calls: 1, value: 0, updates: 0, done: 0 });
    expect(at(1)).toEqual({ calls: 1, value: 0, updates: 0, done: 0 });
    expect(at(2)).toEqual({ calls: 2, value: 0, updates: 0, done: 0 });
    expect(at(29)).toMatchObject({ calls: 11 });
    expect(at(30)).toMatchObject({ calls: 12, value: 15, updates: 16 });
    expect(at(31)).toMatchObject({ calls: 12 });
    expect(at(45)).toEqual({ calls: 17, value: 30, updates: 31, done: 0 });
    expect(at(74)).toEqual({ calls: 27, value: 59, updates: 60, done: 0 });
    expect(at(75)).toEqual({ calls: 27, value: 60, updates: 61, done: 1 });
    expect(at(89)).toEqual({ calls: 27, value: 60, updates: 61, done: 1 });
  });

  for (const name of ["workers-1", "workers-2", "workers-2-disk", "frames-45-89 --workers 2"]) {
    it(`${name}: every frame shows what a sequential play shows`, () => {
      const { first, frames } = renders.get(name)!;
      const wrong: string[] = [];
      frames.forEach((frame, i) => {
        const k = first + i;
        const got = read(frame);
        if (JSON.stringify(got) !== JSON.stringify(expected(k))) wrong.push(`frame ${k}: ${JSON.stringify(got)} ≠ ${JSON.stringify(expected(k))}`);
      });
      expect(wrong).toEqual([]);
    });
  }
});
