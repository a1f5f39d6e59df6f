/**
 * In-page video frame injection for SDR renders (COMPOSITION.md §4.1).
 *
 * `window.__frameloomInject.set(frames)` puts each decoded frame into the page as an
 * `<img class="__render_frame__">` placed right after its `<video>`, `position:absolute` at the video's
 * offsetLeft/Top/Width/Height and styled like it (object-fit/position, z-index, transform and its origin,
 * translate/rotate/scale, filter, mix-blend-mode, backdrop-filter, border-radius, overflow, clip-path, mask*,
 * box-sizing, opacity), so the browser paints the frame exactly where and how it would paint the video. The video
 * itself gets `visibility:hidden !important`; the image follows the video's own shown state (visibility, display),
 * read with that rule switched off. `set` resolves once every changed image is decoded.
 *
 * Invariants: the page's own elements are written to only through the `data-flm-injected` attribute on
 * each injected video; an image's `src` changes only when its frame key changes. Installing twice
 * does nothing.
 */

const STYLE_ID = "__frameloom_inject_style__";
const HIDE_ATTR = "data-flm-injected";
/** The video's computed properties copied onto its frame image. */
export const COPIED_PROPERTIES = ["object-fit", "object-position", "z-index", "transform", "transform-origin", "transform-style", "translate",
  "rotate", "scale", "filter", "mix-blend-mode", "backdrop-filter", "border-top-left-radius", "border-top-right-radius",
  "border-bottom-left-radius", "border-bottom-right-radius", "overflow", "clip-path", "mask-image", "mask-size",
  "mask-position", "mask-repeat", "mask-mode", "mask-composite", "mask-clip", "mask-origin", "-webkit-mask-image",
  "-webkit-mask-size", "-webkit-mask-position", "-webkit-mask-repeat", "box-sizing", "opacity",
  "border-top-width", "border-right-width", "border-bottom-width", "border-left-width", "border-top-style",
  "border-right-style", "border-bottom-style", "border-left-style", "border-top-color", "border-right-color",
  "border-bottom-color", "border-left-color", "padding-top", "padding-right", "padding-bottom", "padding-left",
  "background-color", "box-shadow", "image-rendering"];

/** One video's frame: key names it (null: none now, the image is hidden); src (a data: URL) only when the page may not hold it yet. */
export interface InjectedFrame {
  id: string;
  key: string | null;
  src?: string;
}

/** Whether a frame image shows: a frame is there and the video itself would show. */
export function frameShown(key: string | null, display: string, visibility: string): boolean {
  return key !== null && display !== "none" && visibility === "visible";
}

const images = new Map<string, HTMLImageElement>();
const sources = new Map<string, string | null>();

function sheet(): HTMLStyleElement {
  let style = document.getElementById(STYLE_ID) as HTMLStyleElement | null;
  if (!style) {
    style = document.createElement("style");
    style.id = STYLE_ID;
    style.textContent =
      "video[" + HIDE_ATTR + "]{visibility:hidden !important}" +
      "img.__render_frame__{position:absolute;margin:0;pointer-events:none;max-width:none;max-height:none}";
    (document.head || document.documentElement).appendChild(style);
  }
  return style;
}

function imageFor(video: HTMLElement, id: string): HTMLImageElement {
  let img = images.get(id);
  if (!img || !img.isConnected) {
    img = document.createElement("img");
    img.className = "__render_frame__";
    img.id = "__render_frame_" + id + "__";
    img.alt = "";
    img.decoding = "sync";
    images.set(id, img);
    sources.delete(id);
  }
  if (video.nextSibling !== img) video.parentNode!.insertBefore(img, video.nextSibling);
  return img;
}

function set(frames: InjectedFrame[]): Promise<number> {
  const style = sheet();
  const videos: { el: HTMLElement; frame: InjectedFrame }[] = [];
  for (const frame of frames) {
    const v = document.getElementById(frame.id);
    if (v && v.parentNode) videos.push({ el: v, frame });
  }
  // Read the videos' own styles with the hiding rule off (one style recalc), then write.
  style.disabled = true;
  const reads = videos.map((entry) => {
    const cs = getComputedStyle(entry.el);
    const values: Record<string, string> = {};
    for (const prop of COPIED_PROPERTIES) values[prop] = cs.getPropertyValue(prop);
    return {
      values,
      display: cs.display,
      visibility: cs.visibility,
      left: entry.el.offsetLeft,
      top: entry.el.offsetTop,
      width: entry.el.offsetWidth,
      height: entry.el.offsetHeight,
    };
  });
  style.disabled = false;
  const pending: Promise<unknown>[] = [];
  for (let j = 0; j < videos.length; j++) {
    const video = videos[j]!.el;
    const frame = videos[j]!.frame;
    const r = reads[j]!;
    video.setAttribute(HIDE_ATTR, "");
    const img = imageFor(video, frame.id);
    const s = img.style;
    for (const prop of COPIED_PROPERTIES) s.setProperty(prop, r.values[prop]!);
    s.setProperty("left", r.left + "px");
    s.setProperty("top", r.top + "px");
    s.setProperty("width", r.width + "px");
    s.setProperty("height", r.height + "px");
    s.setProperty("box-sizing", "border-box");
    s.setProperty("display", frameShown(frame.key, r.display, r.visibility) ? "block" : "none");
    if (typeof frame.src === "string" && sources.get(frame.id) !== frame.key) {
      sources.set(frame.id, frame.key);
      img.src = frame.src;
      pending.push(img.decode().catch(() => {}));
    }
  }
  return Promise.all(pending).then(() => pending.length);
}

/** Defines `window.__frameloomInject = { set }` (once). */
export function installFrameInjector(): void {
  const w = window as Window & { __frameloomInject?: unknown };
  if (w.__frameloomInject) return;
  Object.defineProperty(w, "__frameloomInject", { value: { set }, configurable: false });
}
