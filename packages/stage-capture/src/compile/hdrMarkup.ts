/**
 * Markup for HDR layered capture: media that the compositor paints (every video, HDR stills) must
 * not be decoded by Chromium, only laid out. Their `src` is replaced by nothing (video) or a
 * transparent pixel (image), and the probed size is written as width/height attributes so the box
 * lays out exactly as if the file had loaded.
 */
import { parse, serialize, type DefaultTreeAdapterMap } from "parse5";
import type { MediaSource, ProbedMedia } from "@frameloom/shared-helpers";

type Node = DefaultTreeAdapterMap["node"];
type Element = DefaultTreeAdapterMap["element"];

const TRANSPARENT_PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

function walk(node: Node, visit: (el: Element) => void): void {
  if ("tagName" in node) visit(node);
  const children = "childNodes" in node ? node.childNodes : [];
  for (const child of children) walk(child, visit);
  if ("content" in node && node.content) walk(node.content as unknown as Node, visit);
}

function setAttr(el: Element, name: string, value: string): void {
  const existing = el.attrs.find((a) => a.name === name);
  if (existing) existing.value = value;
  else el.attrs.push({ name, value });
}

/** `layerMedia`: the plan's `layers.mediaIds`; `probed`: the plan's probes by media id (their size lays the box out). */
export function prepareLayeredMarkup(html: string, layerMedia: MediaSource[], probed: Record<string, ProbedMedia>): string {
  const byId = new Map(layerMedia.map((m) => [m.id, m]));
  const doc = parse(html);
  walk(doc, (el) => {
    const id = el.attrs.find((a) => a.name === "id")?.value;
    const source = id ? byId.get(id) : undefined;
    if (!source) return;
    const info = probed[source.id]?.video;
    el.attrs = el.attrs.filter((a) => !["src", "srcset", "autoplay", "poster"].includes(a.name));
    if (el.tagName === "img") setAttr(el, "src", TRANSPARENT_PIXEL);
    else {
      el.childNodes = el.childNodes.filter((c) => !("tagName" in c && c.tagName === "source"));
      setAttr(el, "preload", "none");
    }
    setAttr(el, "data-flm-media-layer", source.path);
    if (info) {
      if (!el.attrs.some((a) => a.name === "width")) setAttr(el, "width", String(info.width));
      if (!el.attrs.some((a) => a.name === "height")) setAttr(el, "height", String(info.height));
    }
  });
  return serialize(doc);
}
