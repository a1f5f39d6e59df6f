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
 */
export const FRAME_INJECTOR_SOURCE = String.raw`(function () {
  "use strict";
  var w = window;
  if (w.__frameloomInject) return;
  var STYLE_ID = "__frameloom_inject_style__";
  var HIDE_ATTR = "data-flm-injected";
  var PROPS = ["object-fit", "object-position", "z-index", "transform", "transform-origin", "transform-style", "translate",
    "rotate", "scale", "filter", "mix-blend-mode", "backdrop-filter", "border-top-left-radius", "border-top-right-radius",
    "border-bottom-left-radius", "border-bottom-right-radius", "overflow", "clip-path", "mask-image", "mask-size",
    "mask-position", "mask-repeat", "mask-mode", "mask-composite", "mask-clip", "mask-origin", "-webkit-mask-image",
    "-webkit-mask-size", "-webkit-mask-position", "-webkit-mask-repeat", "box-sizing", "opacity",
    "border-top-width", "border-right-width", "border-bottom-width", "border-left-width", "border-top-style",
    "border-right-style", "border-bottom-style", "border-left-style", "border-top-color", "border-right-color",
    "border-bottom-color", "border-left-color", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "background-color", "box-shadow", "image-rendering"];
  var images = new Map();
  var sources = new Map();

  function sheet() {
    var style = document.getElementById(STYLE_ID);
    if (!style) {
      style = document.createElement("style");
      style.id = STYLE_ID;
      style.textContent = "video[" + HIDE_ATTR + "]{visibility:hidden !important}" +
        "img.__render_frame__{position:absolute;margin:0;pointer-events:none;max-width:none;max-height:none}";
      (document.head || document.documentElement).appendChild(style);
    }
    return style;
  }

  function imageFor(video, id) {
    var img = images.get(id);
    if (!img || !img.isConnected) {
      img = document.createElement("img");
      img.className = "__render_frame__";
      img.id = "__render_frame_" + id + "__";
      img.alt = "";
      img.decoding = "sync";
      images.set(id, img);
      sources.delete(id);
    }
    if (video.nextSibling !== img) video.parentNode.insertBefore(img, video.nextSibling);
    return img;
  }

  // frames: [{ id, key, src? }]: key names the frame (null: none now, the image is hidden); src (a data: URL) is sent
  // only when the page may not hold that frame yet.
  function set(frames) {
    var style = sheet();
    var videos = [];
    for (var i = 0; i < frames.length; i++) {
      var v = document.getElementById(frames[i].id);
      if (v && v.parentNode) videos.push({ el: v, frame: frames[i] });
    }
    // Read the videos' own styles with the hiding rule off (one style recalc), then write.
    style.disabled = true;
    var reads = videos.map(function (entry) {
      var cs = getComputedStyle(entry.el);
      var values = {};
      for (var p = 0; p < PROPS.length; p++) values[PROPS[p]] = cs.getPropertyValue(PROPS[p]);
      return {
        values: values, display: cs.display, visibility: cs.visibility,
        left: entry.el.offsetLeft, top: entry.el.offsetTop, width: entry.el.offsetWidth, height: entry.el.offsetHeight,
      };
    });
    style.disabled = false;
    var pending = [];
    for (var j = 0; j < videos.length; j++) {
      var video = videos[j].el, frame = videos[j].frame, r = reads[j];
      video.setAttribute(HIDE_ATTR, "");
      var img = imageFor(video, frame.id);
      var s = img.style;
      for (var q = 0; q < PROPS.length; q++) s.setProperty(PROPS[q], r.values[PROPS[q]]);
      s.setProperty("left", r.left + "px");
      s.setProperty("top", r.top + "px");
      s.setProperty("width", r.width + "px");
      s.setProperty("height", r.height + "px");
      s.setProperty("box-sizing", "border-box");
      var shown = frame.key !== null && r.display !== "none" && r.visibility === "visible";
      s.setProperty("display", shown ? "block" : "none");
      if (typeof frame.src === "string" && sources.get(frame.id) !== frame.key) {
        sources.set(frame.id, frame.key);
        img.src = frame.src;
        pending.push(img.decode().catch(function () {}));
      }
    }
    return Promise.all(pending).then(function () { return pending.length; });
  }

  Object.defineProperty(w, "__frameloomInject", { value: { set: set }, configurable: false });
})();`;
