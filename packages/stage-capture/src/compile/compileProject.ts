/**
 * compile: reads a project (directory or .html file), wraps fragments, finds the root composition,
 * reads size / fps / duration statically (COMPOSITION.md §1, §3.2) and collects local media.
 * Nested `data-composition-src` files are not inlined yet (inline nested compositions work as is).
 */
import { readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { parse, serialize, type DefaultTreeAdapterMap } from "parse5";
import { FrameloomError, parseFps, type Composition, type Fps, type MediaSource } from "@frameloom/shared-helpers";
import { CompileErrors } from "./errors.js";

type Node = DefaultTreeAdapterMap["node"];
type Element = DefaultTreeAdapterMap["element"];

export interface CompiledProject extends Omit<Composition, "durationSec" | "totalFrames"> {
  /** From root data-duration (else data-composition-duration); null when the page must be probed (§3.2 step 2). */
  durationSec: number | null;
  /** Non-fatal findings (defaulted size, unresolved references, …). */
  warnings: string[];
}

export interface CompileOptions {
  /** Overrides the root's `data-fps`. */
  fps?: Fps;
}

/** The reset a fragment gets when it is wrapped into a full document (§1). */
export const FRAGMENT_RESET =
  '*{margin:0;padding:0;box-sizing:border-box}body{overflow:hidden;background:#000;font-family:"Inter",sans-serif}';

const DEFAULT_WIDTH = 1080;
const DEFAULT_HEIGHT = 1920;
const MAX_SIZE = 8192;

export async function compileProject(input: string, options: CompileOptions = {}): Promise<CompiledProject> {
  const { projectDir, entryFile } = await resolveEntry(input);
  let source: string;
  try {
    source = await readFile(entryFile, "utf8");
  } catch (cause) {
    throw new FrameloomError(CompileErrors.ENTRY_UNREADABLE, `cannot read entry file ${entryFile}`, { cause });
  }
  const warnings: string[] = [];
  const html = isFullDocument(source) ? source : wrapFragment(source);
  const document = parse(html);
  const elements = allElements(document);

  const withId = elements.filter((el) => attr(el, "data-composition-id") !== null);
  const root = withId.find((el) => attr(el, "data-root") === "true") ?? withId[0];
  if (!root) {
    throw new FrameloomError(
      CompileErrors.NO_COMPOSITION,
      `${entryFile} has no composition root: add data-composition-id="<id>" to the root element ` +
        `(with data-width, data-height and data-duration)`,
    );
  }
  const id = attr(root, "data-composition-id") ?? "";

  const width = readSize(root, "data-width", DEFAULT_WIDTH, entryFile, warnings);
  const height = readSize(root, "data-height", DEFAULT_HEIGHT, entryFile, warnings);
  const fps = options.fps ?? readFps(root, entryFile);
  const durationSec = readDuration(root, entryFile);

  for (const el of elements) {
    const src = attr(el, "data-composition-src");
    if (src !== null) {
      warnings.push(
        `${entryFile}: data-composition-src="${src}" on composition "${attr(el, "data-composition-id") ?? ""}" is not inlined yet ` +
          `(external sub-compositions are not supported; inline the markup into the host)`,
      );
    }
  }
  const timing = new StaticTiming(elements, warnings);
  const media = await collectMedia(elements, timing, projectDir, entryFile);

  return {
    id,
    projectDir,
    entryFile,
    entryUrlPath: path.relative(projectDir, entryFile).split(path.sep).map(encodeURIComponent).join("/"),
    html: serialize(document),
    width,
    height,
    fps,
    durationSec,
    media,
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// Entry

async function resolveEntry(input: string): Promise<{ projectDir: string; entryFile: string }> {
  const absolute = path.resolve(input);
  const info = await stat(absolute).catch(() => null);
  if (!info) {
    throw new FrameloomError(CompileErrors.ENTRY_MISSING, `composition entry not found: ${absolute} does not exist`);
  }
  let entry = absolute;
  if (info.isDirectory()) {
    entry = path.join(absolute, "index.html");
    const entryInfo = await stat(entry).catch(() => null);
    if (!entryInfo) {
      throw new FrameloomError(
        CompileErrors.ENTRY_MISSING,
        `composition entry not found: ${entry} does not exist (a project directory needs an index.html, or pass the .html file)`,
      );
    }
    if (!entryInfo.isFile()) {
      throw new FrameloomError(CompileErrors.ENTRY_NOT_FILE, `composition entry ${entry} is not a file`);
    }
  } else if (!info.isFile()) {
    throw new FrameloomError(CompileErrors.ENTRY_NOT_FILE, `composition entry ${absolute} is neither a file nor a directory`);
  }
  const entryFile = await realpath(entry);
  return { projectDir: path.dirname(entryFile), entryFile };
}

export function isFullDocument(source: string): boolean {
  const text = source.replace(/^\uFEFF/, "").replace(/^(\s*<!--[\s\S]*?-->)+/, "");
  return /^\s*(<!doctype\s+html|<html[\s>])/i.test(text);
}

function wrapFragment(fragment: string): string {
  return (
    `<!doctype html>\n<html><head><meta charset="utf-8"><style>${FRAGMENT_RESET}</style></head>` +
    `<body>\n${fragment}\n</body></html>\n`
  );
}

// ---------------------------------------------------------------------------------------------
// Tree helpers

function isElement(node: Node): node is Element {
  return "tagName" in node;
}

function childrenOf(node: Node): Node[] {
  if ("content" in node && node.nodeName === "template") return (node as DefaultTreeAdapterMap["template"]).content.childNodes;
  return "childNodes" in node ? (node.childNodes as Node[]) : [];
}

function allElements(root: Node): Element[] {
  const out: Element[] = [];
  const walk = (node: Node): void => {
    for (const child of childrenOf(node)) {
      if (isElement(child)) {
        out.push(child);
        // <template> content is inert: not part of the rendered document.
        if (child.nodeName !== "template") walk(child);
      }
    }
  };
  walk(root);
  return out;
}

export function attr(el: Element, name: string): string | null {
  const found = el.attrs.find((a) => a.name === name);
  return found ? found.value : null;
}

function setAttr(el: Element, name: string, value: string): void {
  const found = el.attrs.find((a) => a.name === name);
  if (found) found.value = value;
  else el.attrs.push({ name, value });
}

function parentElement(el: Element): Element | null {
  const parent = el.parentNode;
  return parent && isElement(parent as Node) ? (parent as Element) : null;
}

function describe(el: Element): string {
  const id = attr(el, "id");
  const src = attr(el, "src");
  return `<${el.tagName}${id ? ` id="${id}"` : ""}${src ? ` src="${src}"` : ""}>`;
}

/** `Number()` after trimming; "" and "1.5s" are not numbers (§2). */
function toNumber(value: string | null): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (text === "") return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

// ---------------------------------------------------------------------------------------------
// Root attributes

function readSize(root: Element, name: string, fallback: number, file: string, warnings: string[]): number {
  const raw = attr(root, name);
  if (raw === null) {
    warnings.push(`${file}: root has no ${name}; using ${fallback} (default 1080x1920)`);
    return fallback;
  }
  const text = raw.trim();
  const value = Number(text);
  if (!/^\d+$/.test(text) || value <= 0 || value > MAX_SIZE) {
    throw new FrameloomError(
      CompileErrors.BAD_SIZE,
      `${name}="${raw}" on the root composition in ${file} must be an integer between 1 and ${MAX_SIZE} (CSS px)`,
    );
  }
  return value;
}

function readFps(root: Element, file: string): Fps {
  const raw = attr(root, "data-fps");
  if (raw === null) return { num: 30, den: 1 };
  try {
    return parseFps(raw);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new FrameloomError(CompileErrors.BAD_FPS, `data-fps="${raw}" on the root composition in ${file} is invalid: ${reason}`, {
      cause,
    });
  }
}

function readDuration(root: Element, file: string): number | null {
  for (const name of ["data-duration", "data-composition-duration"]) {
    const raw = attr(root, name);
    if (raw === null) continue;
    const value = toNumber(raw);
    if (value === null || value <= 0) {
      throw new FrameloomError(
        CompileErrors.BAD_DURATION,
        `${name}="${raw}" on the root composition in ${file} must be a number of seconds greater than 0 ` +
          `(or remove it to infer the duration from the page)`,
      );
    }
    return value;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Static timing (§2.2, node-side: reads only data-start / data-duration / data-end)

const REF = /^([A-Za-z0-9_.:-]+?)\s*(?:([+-])\s*(\d+(?:\.\d+)?|\.\d+))?$/;

class StaticTiming {
  private readonly byId = new Map<string, Element>();
  private readonly byComposition = new Map<string, Element>();
  private readonly starts = new Map<Element, number>();
  private readonly resolving = new Set<Element>();

  constructor(
    elements: Element[],
    private readonly warnings: string[],
  ) {
    for (const el of elements) {
      const id = attr(el, "id");
      if (id && !this.byId.has(id)) this.byId.set(id, el);
      const comp = attr(el, "data-composition-id");
      if (comp && !this.byComposition.has(comp)) this.byComposition.set(comp, el);
    }
  }

  private hostStart(el: Element): number {
    for (let p = parentElement(el); p; p = parentElement(p)) {
      if (attr(p, "data-composition-id") !== null) return this.start(p);
    }
    return 0;
  }

  start(el: Element): number {
    const cached = this.starts.get(el);
    if (cached !== undefined) return cached;
    if (this.resolving.has(el)) return 0; // cycle
    this.resolving.add(el);
    let result: number;
    const raw = attr(el, "data-start");
    const value = toNumber(raw);
    if (raw === null || value !== null) {
      result = Math.max(0, this.hostStart(el) + (value ?? 0));
    } else {
      result = this.reference(raw.trim());
    }
    this.resolving.delete(el);
    this.starts.set(el, result);
    return result;
  }

  private reference(text: string): number {
    const direct = this.byId.get(text) ?? this.byComposition.get(text);
    let target = direct;
    let offset = 0;
    if (!target) {
      const match = REF.exec(text);
      if (match) {
        target = this.byId.get(match[1]!) ?? this.byComposition.get(match[1]!);
        if (match[2] && match[3]) offset = (match[2] === "-" ? -1 : 1) * Number(match[3]);
      }
    }
    if (!target || this.resolving.has(target)) {
      this.warnings.push(`data-start="${text}" does not resolve to an element; using 0`);
      return 0;
    }
    const start = this.start(target);
    const duration = this.duration(target) ?? 0;
    return Math.max(0, start + duration + offset);
  }

  duration(el: Element): number | null {
    const d = toNumber(attr(el, "data-duration"));
    if (d !== null && d > 0) return d;
    const end = toNumber(attr(el, "data-end"));
    if (end !== null) {
      const length = end - this.start(el);
      if (length > 0) return length;
    }
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Media

const MEDIA_TAGS: Record<string, MediaSource["kind"]> = { video: "video", audio: "audio", img: "image" };

function mediaSrc(el: Element): string | null {
  const own = attr(el, "src");
  if (own && own.trim() !== "") return own.trim();
  if (el.tagName === "img") return null;
  for (const child of childrenOf(el)) {
    if (isElement(child) && child.tagName === "source") {
      const src = attr(child, "src");
      if (src && src.trim() !== "") return src.trim();
    }
  }
  return null;
}

/** `data-playback-rate`: non-finite or ≤ 0 → 1, clamped to [0.1, 5] (§2.3). */
function playbackRate(el: Element): number {
  const value = toNumber(attr(el, "data-playback-rate"));
  return value === null || value <= 0 ? 1 : Math.min(5, Math.max(0.1, value));
}

function mediaStart(el: Element): number {
  for (const name of ["data-playback-start", "data-media-start"]) {
    const value = toNumber(attr(el, name));
    if (value !== null && value >= 0) return value;
  }
  return 0;
}

/** `data-volume`: non-finite → 1, clamped to [0, 10^(12/20)] (+12 dB) (§2.3). */
const MAX_VOLUME = 10 ** (12 / 20);
function volume(el: Element): number {
  const value = toNumber(attr(el, "data-volume"));
  return value === null ? 1 : Math.min(MAX_VOLUME, Math.max(0, value));
}

/** The element or an ancestor carries `data-hidden` (its sound leaves the mix, §2.1/§4.2). */
function isHidden(el: Element): boolean {
  for (let node: Element | null = el; node; node = parentElement(node)) if (attr(node, "data-hidden") !== null) return true;
  return false;
}

/**
 * Whether the element's sound goes into the mix (§2.3): `<audio>` always (muted is ignored);
 * `<video>`: data-has-audio "true" → yes, any other value → no, absent → not muted. Hidden → no.
 */
function hasAudio(el: Element, kind: "video" | "audio"): boolean {
  if (isHidden(el)) return false;
  if (kind === "audio") return true;
  const flag = attr(el, "data-has-audio");
  return flag === null ? attr(el, "muted") === null : flag === "true";
}

async function collectMedia(elements: Element[], timing: StaticTiming, projectDir: string, entryFile: string): Promise<MediaSource[]> {
  const media: MediaSource[] = [];
  const counters: Record<string, number> = { video: 0, audio: 0, image: 0 };
  const usedIds = new Set(elements.map((el) => attr(el, "id")).filter((id): id is string => !!id));
  for (const el of elements) {
    const kind = MEDIA_TAGS[el.tagName];
    if (!kind) continue;
    const src = mediaSrc(el);
    if (src === null || /^[a-z][a-z0-9+.-]*:/i.test(src) || src.startsWith("//")) continue; // remote/data/blob: the guard's business
    const pathname = src.replace(/[?#].*$/, "");
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      decoded = pathname;
    }
    const absolute = decoded.startsWith("/")
      ? path.join(projectDir, decoded)
      : path.resolve(path.dirname(entryFile), decoded);
    const relative = path.relative(projectDir, absolute);
    if (relative.startsWith("..") || path.isAbsolute(relative)) {
      throw new FrameloomError(
        CompileErrors.MEDIA_OUTSIDE_PROJECT,
        `${describe(el)} in ${entryFile} points outside the project (${absolute}); copy the file into ${projectDir}`,
      );
    }
    const info = await stat(absolute).catch(() => null);
    if (!info || !info.isFile()) {
      throw new FrameloomError(CompileErrors.MEDIA_MISSING, `${describe(el)} in ${entryFile}: file not found: ${absolute}`);
    }
    if (kind !== "image" && attr(el, "data-start") === null) {
      setAttr(el, "data-start", "0");
      setAttr(el, "data-hf-auto-start", "");
    }
    let id = attr(el, "id");
    if (!id) {
      const prefix = kind === "image" ? "hf-image" : `hf-${kind}`;
      do id = `${prefix}-${counters[kind]!++}`;
      while (usedIds.has(id));
      usedIds.add(id);
      setAttr(el, "id", id);
    }
    media.push({
      kind,
      path: absolute,
      id,
      start: timing.start(el),
      duration: timing.duration(el),
      mediaStart: mediaStart(el),
      playbackRate: playbackRate(el),
      loop: kind !== "image" && attr(el, "loop") !== null,
      volume: volume(el),
      ...(kind === "image" ? {} : { hasAudio: hasAudio(el, kind) }),
    });
  }
  return media;
}
