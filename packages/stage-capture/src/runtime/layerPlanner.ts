/**
 * In-page layer planner for HDR layered capture (DESIGN.md pipeline step 4).
 *
 * After each seek, `window.__frameloomLayers.plan(mediaIds)` splits the page into a bottom-to-top
 * stack: DOM layer 0, media element 1, DOM layer 1, media element 2, … in CSS paint order
 * (stacking contexts, z-index buckets, then tree order), so a DOM element painted after a video
 * stays above it. Adjacent DOM is merged into one layer. `show(k)` makes only DOM layer k visible
 * (everything else `visibility:hidden`, html/body backgrounds transparent above layer 0) for a
 * transparent screenshot; `reset()` restores the page.
 *
 * Each DOM layer gets a signature of what it paints (boxes, key computed styles, own text, image
 * sources); an unchanged signature means the layer need not be captured again. Layers holding a
 * canvas, iframe, svg animation or non-layer video are never considered unchanged.
 */
export const LAYER_PLANNER_SOURCE = String.raw`(function () {
  "use strict";
  var w = window;
  if (w.__frameloomLayers) return;
  var STYLE_ID = "__frameloom_layer_style__";
  var ATTR = "data-flm-l";
  var SIG_PROPS = ["opacity", "transform", "color", "background-color", "background-image", "background-position",
    "background-size", "filter", "clip-path", "box-shadow", "border-top-color", "border-bottom-color", "outline-color",
    "font-size", "letter-spacing", "text-shadow", "mask-image", "mix-blend-mode", "z-index", "visibility", "display",
    "width", "height", "translate", "rotate", "scale", "stroke-dashoffset", "fill", "stroke"];

  function formsStackingContext(el, cs, parentCs) {
    if (el === document.documentElement) return true;
    var pos = cs.position;
    if ((pos === "absolute" || pos === "relative") && cs.zIndex !== "auto") return true;
    if (pos === "fixed" || pos === "sticky") return true;
    if (parentCs && (parentCs.display.indexOf("flex") >= 0 || parentCs.display.indexOf("grid") >= 0) && cs.zIndex !== "auto") return true;
    if (parseFloat(cs.opacity) < 1) return true;
    if (cs.transform !== "none" || cs.translate !== "none" || cs.rotate !== "none" || cs.scale !== "none") return true;
    if (cs.filter !== "none" || cs.backdropFilter && cs.backdropFilter !== "none") return true;
    if (cs.mixBlendMode !== "normal" || cs.isolation === "isolate") return true;
    if (cs.clipPath !== "none" || (cs.maskImage && cs.maskImage !== "none")) return true;
    if (/(transform|opacity|filter)/.test(cs.willChange)) return true;
    if (/(paint|layout|strict|content)/.test(cs.contain)) return true;
    return false;
  }

  // Paint bucket of an element inside its parent stacking context (CSS 2.1 Appendix E, simplified).
  function bucket(cs, isContext) {
    var positioned = cs.position !== "static";
    var z = cs.zIndex === "auto" ? 0 : parseInt(cs.zIndex, 10) || 0;
    if (isContext || positioned) {
      if (z < 0) return [1, z];
      if (z > 0) return [7, z];
      return [6, 0];
    }
    if (cs.cssFloat && cs.cssFloat !== "none") return [4, 0];
    if (cs.display.indexOf("inline") === 0) return [5, 0];
    return [3, 0];
  }

  // key(el): list of [bucket, z, treeIndex] tuples along the chain of stacking contexts (and
  // positioned boxes, painted as pseudo-contexts) from the root down to el.
  function computeKeys(elements) {
    var keys = new Map();
    var styles = new Map();
    for (var i = 0; i < elements.length; i++) styles.set(elements[i], getComputedStyle(elements[i]));
    for (var j = 0; j < elements.length; j++) {
      var el = elements[j];
      var cs = styles.get(el);
      var parent = el.parentElement;
      var parentCs = parent ? styles.get(parent) : null;
      var isContext = formsStackingContext(el, cs, parentCs);
      var b = bucket(cs, isContext);
      var tuple = [b[0], b[1], j];
      // The nearest ancestor that is a context or positioned box owns el's paint position.
      var owner = parent;
      while (owner && !(keys.get(owner) && keys.get(owner).ownsChildren)) owner = owner.parentElement;
      var base = owner ? keys.get(owner).key : [];
      var entry = { key: base.concat([tuple]), ownsChildren: isContext || cs.position !== "static", cs: cs };
      keys.set(el, entry);
    }
    return keys;
  }

  function compareKeys(a, b) {
    var n = Math.min(a.length, b.length);
    for (var i = 0; i < n; i++) {
      var x = a[i], y = b[i];
      if (x[0] !== y[0]) return x[0] - y[0];
      if (x[1] !== y[1]) return x[1] - y[1];
      if (x[2] !== y[2]) return x[2] - y[2];
    }
    return a.length - b.length;
  }

  function effectiveOpacity(el) {
    var o = 1;
    for (var n = el; n && n.nodeType === 1; n = n.parentElement) o *= parseFloat(getComputedStyle(n).opacity);
    return o;
  }

  function isShown(el, cs) {
    if (cs.visibility !== "visible" || cs.display === "none") return false;
    var r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) return false;
    for (var n = el; n && n.nodeType === 1; n = n.parentElement) if (getComputedStyle(n).display === "none") return false;
    return true;
  }

  function ownText(el) {
    var s = "";
    for (var c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 3) s += c.nodeValue;
    return s;
  }

  // cyrb53: a 53-bit string hash, so signatures cross the protocol as numbers, not page dumps.
  function hash(str) {
    var h1 = 0xdeadbeef, h2 = 0x41c6ce57;
    for (var i = 0; i < str.length; i++) {
      var ch = str.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return 4294967296 * (2097151 & h2) + (h1 >>> 0);
  }

  var volatileTags = { CANVAS: 1, IFRAME: 1, VIDEO: 1, EMBED: 1, OBJECT: 1 };

  // The element's own 2-D transform (translate, rotate, scale, transform, about transform-origin) as [a..f] from its
  // untransformed layout box to the viewport, plus that box; null when it has none. Ancestors' transforms only move
  // the box (their rotation/scale is not followed). 3-D transforms keep their 2-D part.
  function ownTransform(el, cs) {
    if (cs.transform === "none" && cs.translate === "none" && cs.rotate === "none" && cs.scale === "none") return null;
    var props = ["transform", "translate", "rotate", "scale"];
    var saved = props.map(function (p) { return [el.style.getPropertyValue(p), el.style.getPropertyPriority(p)]; });
    for (var i = 0; i < props.length; i++) el.style.setProperty(props[i], "none", "important");
    var box = el.getBoundingClientRect();
    for (var j = 0; j < props.length; j++) {
      if (saved[j][0]) el.style.setProperty(props[j], saved[j][0], saved[j][1]);
      else el.style.removeProperty(props[j]);
    }
    var m = new DOMMatrix();
    if (cs.translate !== "none") m = m.multiply(new DOMMatrix("translate(" + cs.translate.split(" ").slice(0, 2).join(",") + ")"));
    if (cs.rotate !== "none") {
      var parts = cs.rotate.split(" ");
      m = m.multiply(new DOMMatrix("rotate(" + parts[parts.length - 1] + ")"));
    }
    if (cs.scale !== "none") m = m.multiply(new DOMMatrix("scale(" + cs.scale.split(" ").slice(0, 2).join(",") + ")"));
    if (cs.transform !== "none") m = m.multiply(new DOMMatrix(cs.transform));
    var origin = cs.transformOrigin.split(" ");
    var ox = box.left + (parseFloat(origin[0]) || 0);
    var oy = box.top + (parseFloat(origin[1]) || 0);
    var f = new DOMMatrix().translate(ox, oy).multiply(m).translate(-ox, -oy);
    if (f.a === 1 && f.b === 0 && f.c === 0 && f.d === 1 && f.e === 0 && f.f === 0) return null;
    return { matrix: [f.a, f.b, f.c, f.d, f.e, f.f], box: { x: box.left, y: box.top, width: box.width, height: box.height } };
  }

  // Border radii [tl x, y, tr x, y, br x, y, bl x, y] in px of the layout box (percentages resolved); null when square.
  function radii(cs, w, h) {
    var corners = [cs.borderTopLeftRadius, cs.borderTopRightRadius, cs.borderBottomRightRadius, cs.borderBottomLeftRadius];
    var out = [];
    var any = false;
    for (var i = 0; i < 4; i++) {
      var p = String(corners[i] || "0px").split(" ");
      var rx = p[0], ry = p.length > 1 ? p[1] : p[0];
      var x = rx.indexOf("%") > 0 ? (parseFloat(rx) * w) / 100 : parseFloat(rx) || 0;
      var y = ry.indexOf("%") > 0 ? (parseFloat(ry) * h) / 100 : parseFloat(ry) || 0;
      if (x > 0 && y > 0) any = true;
      out.push(Math.max(0, x), Math.max(0, y));
    }
    return any ? out : null;
  }

  function plan(mediaIds) {
    reset();
    var body = document.body;
    var elements = [document.documentElement].concat(Array.prototype.slice.call(document.documentElement.querySelectorAll("*")));
    var keys = computeKeys(elements);
    var media = [];
    var isMedia = new Set();
    for (var i = 0; i < mediaIds.length; i++) {
      var m = document.getElementById(mediaIds[i]);
      if (!m) continue;
      isMedia.add(m);
      var entry = keys.get(m);
      if (!entry || !isShown(m, entry.cs)) continue;
      var r = m.getBoundingClientRect();
      var fit = entry.cs.objectFit;
      var tr = ownTransform(m, entry.cs);
      var rect = tr ? tr.box : { x: r.left, y: r.top, width: r.width, height: r.height };
      media.push({
        id: mediaIds[i], el: m, key: entry.key,
        rect: rect,
        transform: tr ? tr.matrix : null,
        radius: radii(entry.cs, rect.width, rect.height),
        opacity: effectiveOpacity(m),
        fit: fit === "cover" || fit === "fill" ? fit : fit === "contain" ? "contain" : (m.tagName === "VIDEO" ? "contain" : "fill"),
      });
    }
    media.sort(function (a, b) { return compareKeys(a.key, b.key); });
    var sigs = [];
    for (var k = 0; k <= media.length; k++) sigs.push([]);
    var volatile = [];
    for (var j = 0; j < elements.length; j++) {
      var el = elements[j];
      var e = keys.get(el);
      if (isMedia.has(el) || e.cs.visibility !== "visible") { el.setAttribute(ATTR, "x"); continue; }
      var layer = 0;
      while (layer < media.length && compareKeys(media[layer].key, e.key) < 0) layer++;
      el.setAttribute(ATTR, String(layer));
      if (e.cs.display === "none" || el === document.head || (el.closest && el.closest("head"))) continue;
      if (volatileTags[el.tagName] || (el.tagName === "svg" && el.querySelector("animate,animateTransform,animateMotion"))) volatile[layer] = true;
      var r = el.getBoundingClientRect();
      var parts = [j, Math.round(r.left * 4), Math.round(r.top * 4), Math.round(r.width * 4), Math.round(r.height * 4), ownText(el)];
      for (var p = 0; p < SIG_PROPS.length; p++) parts.push(e.cs.getPropertyValue(SIG_PROPS[p]));
      if (el.tagName === "IMG") parts.push(el.currentSrc, el.complete);
      sigs[layer].push(parts.join("|"));
    }
    var signatures = sigs.map(function (s, idx) { return volatile[idx] ? null : s.length + ":" + hash(s.join("\n")); });
    return {
      media: media.map(function (m) {
        var out = { id: m.id, rect: m.rect, opacity: m.opacity, fit: m.fit };
        if (m.transform) out.transform = m.transform;
        if (m.radius) out.radius = m.radius;
        return out;
      }),
      signatures: signatures,
    };
  }

  function show(k) {
    var style = document.getElementById(STYLE_ID);
    if (!style) {
      style = document.createElement("style");
      style.id = STYLE_ID;
      (document.head || document.documentElement).appendChild(style);
    }
    style.textContent = "[" + ATTR + "]{visibility:hidden !important}[" + ATTR + "=\"" + k + "\"]{visibility:visible !important}" +
      (k > 0 ? "html,body{background:transparent !important}" : "");
  }

  function reset() {
    var style = document.getElementById(STYLE_ID);
    if (style) style.remove();
  }

  Object.defineProperty(w, "__frameloomLayers", { value: { plan: plan, show: show, reset: reset }, configurable: false });
})();`;
