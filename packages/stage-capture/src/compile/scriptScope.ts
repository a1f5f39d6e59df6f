/**
 * Script scoping for inlined sub-compositions (COMPOSITION.md §2.4 "Scripts"). Each inline script
 * of an instance is wrapped as
 *
 *   __hfScope.run("<runtime id>", flags, function (document, gsap, __hyperframes) { (function () {
 *   <original code>
 *   }).call(this); });
 *
 * and runs once, in document order, where it was written. Inside it:
 * - `document.querySelector*`, `getElementById`, `getElementsBy*` search the instance's host
 *   (the file's root, `#<root id>` / `[data-composition-id="<file id>"]`, is its inner root;
 *   media ids renamed in a repeated mount are found under their authored id);
 * - GSAP string targets resolve inside the host: the code runs in a `gsap.context()` whose selector
 *   is the host's, and the `gsap` it sees scopes `to/from/fromTo/set/…` and timelines it creates
 *   for code that runs later;
 * - `__hyperframes.getVariables()` (also via `window.` while the instance's scripts run) returns the
 *   instance's values;
 * - a timeline registered in `window.__timelines` under the file's own id (or the host's authored
 *   id) is published under the instance's runtime id, and the key is restored to what it was; a
 *   later `window.__timelines = {…}` keeps the published entries.
 *
 * flags: 1 = first script of the instance, 2 = last (the instance's bracket opens and closes there).
 */

/** What the page needs to know about one instance. */
export interface ScopeSpec {
  /** Runtime id (the host's `data-composition-id`). */
  rid: string;
  /** The host's authored `data-composition-id` (before `__hfN`), if any. */
  authoredId: string | null;
  /** The inner root's authored `data-composition-id`, if any. */
  fileId: string | null;
  /** The inner root's authored `id` (now `data-hf-authored-id`), if any. */
  innerId: string | null;
  /** Renamed element ids: authored → document-unique. */
  ids: Record<string, string>;
}

/** JSON as a JS literal that can sit inside `<script>` (no `</script>`, no U+2028/2029). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

export const FIRST = 1;
export const LAST = 2;

/** The wrapped text of one inline script of instance `rid`. */
export function wrapScript(code: string, rid: string, flags: number): string {
  return (
    `__hfScope.run(${scriptJson(rid)}, ${flags}, function (document, gsap, __hyperframes) { (function () {\n` +
    `${code}\n}).call(this); });`
  );
}

/** The first `<script>` of `<head>`: variable values, then (with instances) the scope runtime. */
export function preludeScript(
  variables: Record<string, unknown>,
  byComp: Record<string, Record<string, unknown>>,
  scopes: ScopeSpec[],
): string {
  let text = `window.__hfVariables = ${scriptJson(variables)};\nwindow.__hfVariablesByComp = ${scriptJson(byComp)};\n`;
  if (scopes.length > 0) {
    const table: Record<string, ScopeSpec> = {};
    for (const s of scopes) table[s.rid] = { rid: s.rid, authoredId: s.authoredId, fileId: s.fileId, innerId: s.innerId, ids: s.ids };
    text += `(${SCOPE_RUNTIME})(${scriptJson(table)});\n`;
  }
  return text;
}

// Plain ES2020 run in the page before any page script. No backticks or interpolation inside.
const SCOPE_RUNTIME = String.raw`function (scopes) {
  "use strict";
  var w = window;
  var realDoc = document;
  if (w.__hfScope) return;
  var own = Object.prototype.hasOwnProperty;
  var ABSENT = {};
  var published = Object.create(null);

  function plain(x) { return !!x && typeof x === "object" && !Array.isArray(x); }

  // A later window.__timelines = {...} (a root script replacing the object) keeps the entries the
  // sub-compositions published.
  var store = w.__timelines;
  try {
    Object.defineProperty(w, "__timelines", {
      configurable: true,
      enumerable: true,
      get: function () { return store; },
      set: function (value) {
        if (plain(value) && plain(store) && value !== store) {
          for (var k in published) if (!own.call(value, k) && own.call(store, k)) value[k] = store[k];
        }
        store = value;
      },
    });
  } catch (e) {}

  function quote(s) { return '"' + String(s).replace(/["\\]/g, "\\$&") + '"'; }
  function hostOf(s) {
    if (s.host && s.host.isConnected) return s.host;
    var all = realDoc.querySelectorAll("[data-composition-id]");
    for (var i = 0; i < all.length; i++) if (all[i].getAttribute("data-composition-id") === s.rid) { s.host = all[i]; return s.host; }
    return null;
  }
  function rewrite(sel, s) {
    if (typeof sel !== "string") return sel;
    var out = sel;
    if (s.fileId !== null) {
      out = out.replace(/\[\s*data-composition-id\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s\]]*))\s*\]/g, function (m, a, b, c) {
        var v = a !== undefined ? a : b !== undefined ? b : c;
        return v === s.fileId ? "[data-hf-inner-root]" : m;
      });
    }
    out = out.replace(/#((?:\\.|[\w-]|[^\x00-\x7f])+)/g, function (m, id) {
      if (s.innerId !== null && id === s.innerId) return "[data-hf-authored-id=" + quote(id) + "]";
      if (own.call(s.ids, id)) return "[id=" + quote(s.ids[id]) + "]";
      return m;
    });
    return out;
  }
  function emptyList() { return realDoc.createDocumentFragment().querySelectorAll("*"); }
  function scopedDocument(s) {
    var mine = {
      querySelector: function (sel) { var h = hostOf(s); return h ? h.querySelector(rewrite(sel, s)) : null; },
      querySelectorAll: function (sel) { var h = hostOf(s); return h ? h.querySelectorAll(rewrite(sel, s)) : emptyList(); },
      getElementById: function (id) {
        var h = hostOf(s);
        if (!h) return null;
        id = String(id);
        var found = h.querySelector("[id=" + quote(own.call(s.ids, id) ? s.ids[id] : id) + "]");
        if (!found && s.innerId !== null && id === s.innerId) found = h.querySelector("[data-hf-inner-root]");
        return found;
      },
      getElementsByClassName: function (names) { var h = hostOf(s); return h ? h.getElementsByClassName(names) : realDoc.createElement("div").getElementsByClassName(names); },
      getElementsByTagName: function (name) { var h = hostOf(s); return h ? h.getElementsByTagName(name) : realDoc.createElement("div").getElementsByTagName(name); },
    };
    var bound = new Map();
    return new Proxy(realDoc, {
      get: function (target, prop) {
        if (typeof prop === "string" && own.call(mine, prop)) return mine[prop];
        var value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        var entry = bound.get(prop);
        if (!entry || entry.fn !== value) { entry = { fn: value, bound: value.bind(target) }; bound.set(prop, entry); }
        return entry.bound;
      },
      set: function (target, prop, value) { return Reflect.set(target, prop, value, target); },
    });
  }
  var TWEEN_METHODS = ["to", "from", "fromTo", "set", "killTweensOf", "getTweensOf", "isTweening", "quickSetter", "quickTo", "getProperty"];
  var TIMELINE_METHODS = ["to", "from", "fromTo", "set"];
  function targets(value, s) {
    if (typeof value !== "string") return value;
    var h = hostOf(s);
    return h ? Array.prototype.slice.call(h.querySelectorAll(rewrite(value, s))) : [];
  }
  function patchTimeline(tl, s) {
    if (!tl || typeof tl !== "object" || tl.__hfScoped) return tl;
    TIMELINE_METHODS.forEach(function (name) {
      var orig = tl[name];
      if (typeof orig !== "function") return;
      tl[name] = function (t) {
        var args = Array.prototype.slice.call(arguments);
        args[0] = targets(t, s);
        return orig.apply(this, args);
      };
    });
    try { Object.defineProperty(tl, "__hfScoped", { value: true }); } catch (e) {}
    return tl;
  }
  function scopedGsap(g, s) {
    if (!g || (typeof g !== "object" && typeof g !== "function")) return g;
    if (s.gsapFor === g) return s.gsapProxy;
    var wrapped = new Map();
    s.gsapFor = g;
    s.gsapProxy = new Proxy(g, {
      get: function (target, prop) {
        var value = Reflect.get(target, prop, target);
        if (typeof value !== "function" || typeof prop !== "string") return value;
        var entry = wrapped.get(prop);
        if (entry && entry.fn === value) return entry.wrapped;
        var fn;
        if (prop === "timeline") fn = function () { return patchTimeline(value.apply(target, arguments), s); };
        else if (TWEEN_METHODS.indexOf(prop) >= 0) fn = function (t) {
          var args = Array.prototype.slice.call(arguments);
          args[0] = targets(t, s);
          return value.apply(target, args);
        };
        else fn = value.bind(target);
        wrapped.set(prop, { fn: value, wrapped: fn });
        return fn;
      },
    });
    return s.gsapProxy;
  }
  function scopedHyperframes(s) {
    return new Proxy({}, {
      get: function (_, prop) {
        var real = s.realHf || w.__hyperframes;
        if (prop === "getVariables") {
          return function (id) {
            if (real && typeof real.getVariables === "function") return real.getVariables(id === undefined || id === null ? s.rid : id);
            var table = plain(w.__hfVariablesByComp) ? w.__hfVariablesByComp : {};
            var out = {};
            var mineValues = plain(table[id === undefined || id === null ? s.rid : id]) ? table[id === undefined || id === null ? s.rid : id] : {};
            for (var k in mineValues) if (own.call(mineValues, k)) out[k] = mineValues[k];
            return out;
          };
        }
        var value = real ? real[prop] : undefined;
        return typeof value === "function" ? value.bind(real) : value;
      },
      set: function (_, prop, value) { var real = s.realHf || w.__hyperframes; if (real) real[prop] = value; return true; },
      has: function (_, prop) { var real = s.realHf || w.__hyperframes; return prop === "getVariables" || (!!real && prop in real); },
    });
  }
  function setup(s) {
    if (s.ready) return;
    s.ready = true;
    s.doc = scopedDocument(s);
    s.hf = scopedHyperframes(s);
    s.keys = [];
    if (s.fileId !== null && s.fileId !== s.rid) s.keys.push(s.fileId);
    if (s.authoredId !== null && s.authoredId !== s.rid && s.keys.indexOf(s.authoredId) < 0) s.keys.push(s.authoredId);
  }

  var stack = [];
  function enter(s) {
    var tls = w.__timelines;
    var frame = { s: s, obj: tls, prev: {}, hf: w.__hyperframes };
    for (var i = 0; i < s.keys.length; i++) {
      var k = s.keys[i];
      frame.prev[k] = plain(tls) && own.call(tls, k) ? tls[k] : ABSENT;
    }
    s.realHf = frame.hf;
    try { w.__hyperframes = s.hf; } catch (e) {}
    stack.push(frame);
  }
  function leave() {
    var frame = stack.pop();
    if (!frame) return;
    var s = frame.s;
    try { w.__hyperframes = frame.hf; } catch (e) {}
    var cur = w.__timelines;
    if (!plain(cur)) return;
    if (plain(frame.obj) && frame.obj !== cur) {
      for (var k0 in frame.obj) if (own.call(frame.obj, k0) && !own.call(cur, k0)) cur[k0] = frame.obj[k0];
    }
    for (var i = 0; i < s.keys.length; i++) {
      var k = s.keys[i];
      var now = own.call(cur, k) ? cur[k] : ABSENT;
      if (now === frame.prev[k]) continue;
      if (now !== ABSENT) cur[s.rid] = now;
      if (frame.prev[k] === ABSENT) delete cur[k];
      else cur[k] = frame.prev[k];
    }
    if (own.call(cur, s.rid)) published[s.rid] = true;
  }
  function active(s) {
    for (var i = 0; i < stack.length; i++) if (stack[i].s === s) return true;
    return false;
  }

  function run(rid, flags, fn) {
    var s = scopes[rid];
    if (!s) return fn.call(w, realDoc, w.gsap, w.__hyperframes);
    setup(s);
    var host = hostOf(s);
    // Close brackets of instances this script is not inside (a script that never ran).
    while (stack.length && !(stack[stack.length - 1].s.host && host && stack[stack.length - 1].s.host.contains(host))) leave();
    if (!active(s)) enter(s);
    var failed = false;
    var error;
    try {
      var g = w.gsap;
      var body = function () {
        try { fn.call(w, s.doc, scopedGsap(g, s), s.hf); } catch (e) { failed = true; error = e; }
      };
      if (g && typeof g.context === "function" && host) {
        var ctx = g.context(function () {}, host);
        var hostSelector = ctx.selector;
        if (typeof hostSelector === "function") ctx.selector = function (v) { return hostSelector(rewrite(v, s)); };
        ctx.add(body);
      } else {
        body();
      }
    } finally {
      if (flags & 2) leave();
    }
    if (failed) throw error;
  }
  Object.defineProperty(w, "__hfScope", { value: { run: run, scopes: scopes }, configurable: false, enumerable: false, writable: false });
}`;
