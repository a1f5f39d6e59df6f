/** Media collection (COMPOSITION.md §2.3): local video, audio and images with their timing and mix attributes. */
import { open, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { FrameloomError, SharedErrors, sniffReferencingFormat, type MediaSource } from "@frameloom/shared-helpers";
import { CompileErrors } from "./errors.js";
import type { StaticTiming } from "./timing.js";
import { playbackRateOf, playbackStartOf } from "./timingRules.js";
import { attr, childrenOf, isElement, parentElement, setAttr, toNumber, type Element } from "./tree.js";

const MEDIA_TAGS: Record<string, MediaSource["kind"]> = { video: "video", audio: "audio", img: "image" };

/** The element's media URL and where it was written: its own `src`, or the `src` of its first `<source>`. */
function mediaSrc(el: Element): { src: string; attribute: string } | null {
  const own = attr(el, "src");
  if (own && own.trim() !== "") return { src: own.trim(), attribute: "src" };
  if (el.tagName === "img") return null;
  for (const child of childrenOf(el)) {
    if (isElement(child) && child.tagName === "source") {
      const src = attr(child, "src");
      if (src && src.trim() !== "") return { src: src.trim(), attribute: "<source src>" };
    }
  }
  return null;
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/**
 * Confines one media file to the project (§2.3): its real path (symlinks followed, every level)
 * must lie under `projectDir` (itself a real path), and it must not be a playlist or manifest that
 * names other files (ffmpeg would read those directly, wherever they are). Returns the real path,
 * which is what every later stage opens.
 */
async function confine(absolute: string, projectDir: string, where: string): Promise<string> {
  const outside = (resolved: string, how: string): FrameloomError =>
    new FrameloomError(
      CompileErrors.MEDIA_OUTSIDE_PROJECT,
      `${where} ${how} ${resolved}, outside the project ${projectDir}; copy the file into the project`,
    );
  if (!isInside(projectDir, absolute)) throw outside(absolute, "points to");
  const info = await stat(absolute).catch(() => null);
  if (!info || !info.isFile()) {
    throw new FrameloomError(CompileErrors.MEDIA_MISSING, `${where}: file not found: ${absolute}`);
  }
  const real = await realpath(absolute);
  if (!isInside(projectDir, real)) throw outside(real, "resolves (through a symlink) to");
  const handle = await open(real, "r");
  let kind: string | null;
  try {
    kind = await sniffReferencingFormat(async (offset, length) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    });
  } finally {
    await handle.close();
  }
  if (kind) {
    throw new FrameloomError(
      SharedErrors.MEDIA_FORMAT_REFUSED,
      `${where}: ${real} is ${kind}, which names other files; refused (use a plain video, audio or image file)`,
    );
  }
  return real;
}

/** `data-playback-rate`: non-finite or ≤ 0 → 1, clamped to [0.1, 5] (§2.3; the rule is timingRules.ts', which the page uses too). */
function playbackRate(el: Element): number {
  return playbackRateOf((name) => attr(el, name));
}

function mediaStart(el: Element): number {
  return playbackStartOf((name) => attr(el, name));
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

export interface CollectOptions {
  /** The root composition: its window does not clip (the render's length does). */
  root?: Element;
  /** The file an inlined element was written in, for messages (the entry otherwise). */
  fileOf?: (el: Element) => string | undefined;
}

export async function collectMedia(
  elements: Element[],
  timing: StaticTiming,
  projectDir: string,
  entryFile: string,
  options: CollectOptions = {},
): Promise<MediaSource[]> {
  const media: MediaSource[] = [];
  const counters: Record<string, number> = { video: 0, audio: 0, image: 0 };
  const usedIds = new Set(elements.map((el) => attr(el, "id")).filter((id): id is string => !!id));
  for (const el of elements) {
    const kind = MEDIA_TAGS[el.tagName];
    if (!kind) continue;
    const found = mediaSrc(el);
    if (found === null) continue;
    const { src, attribute } = found;
    if (/^[a-z][a-z0-9+.-]*:/i.test(src) || src.startsWith("//")) continue; // remote/data/blob: the guard's business
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
    const id0 = attr(el, "id");
    const at = attribute === "src" ? `src="${src}"` : `<source src="${src}">`;
    const written = options.fileOf?.(el) ?? entryFile;
    const real = await confine(absolute, projectDir, `<${el.tagName}${id0 ? ` id="${id0}"` : ""}> ${at} in ${written}`);
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
    // Inside a sub-composition: clipped to its host's window (§2.4); nothing once the host has ended.
    const start = timing.start(el);
    let duration = timing.duration(el);
    const hostEnd = options.root && kind !== "image" ? timing.hostEnd(el, options.root) : null;
    if (hostEnd !== null) {
      if (start >= hostEnd) continue;
      duration = Math.min(duration ?? Infinity, hostEnd - start);
    }
    media.push({
      kind,
      path: real,
      id,
      start,
      duration,
      mediaStart: mediaStart(el),
      playbackRate: playbackRate(el),
      loop: kind !== "image" && attr(el, "loop") !== null,
      volume: volume(el),
      ...(kind === "image" ? {} : { hasAudio: hasAudio(el, kind) }),
    });
  }
  return media;
}
