/**
 * The sealed page's network (docs/capture.md, "Sealed page"): a composition may reach the project's
 * file server and nothing else — not another port on 127.0.0.1, not the outside.
 *
 * Invariants:
 * - Enforcement lives in Chromium's network stack, not in request interception, so it holds for
 *   every request any page, frame, worker or service worker makes, WebSockets, prefetch,
 *   preconnect and navigations included: the composition's browser context sends everything but
 *   `http://127.0.0.1:<file server port>` to a proxy that is a black hole (`pageHole`: it reads
 *   the request line, records it and hangs up; nothing is forwarded). Chromium's own background
 *   traffic (updates, sign-in) goes to a second black hole (`browserHole`) and is not reported.
 *   No host name resolves and WebRTC gets no UDP (flags in `chromiumArgs`); popups cannot open.
 * - Reporting is separate from enforcement: every attempt the black hole sees, and every blocked
 *   URL, WebSocket, popup or WebRTC connection the page's DevTools session reports, is warned about
 *   once (by URL, query and fragment left out: no secrets in messages) and, with `strict`,
 *   recorded in `violations` and passed to `onViolation` at once, at any time during the render.
 */
import net from "node:net";

export interface NetworkGuardOptions {
  /** The file server's origin, e.g. `http://127.0.0.1:43567`. */
  origin: string;
  strict: boolean;
  warn(message: string): void;
  /** Strict mode: called once per blocked target, when it is first seen. */
  onViolation?(target: string, kind: BlockedKind): void;
}

export interface NetworkGuard {
  /** Flags for the Chromium command line (the browser-wide black hole). */
  chromiumArgs: string[];
  /** Options for `browser.createBrowserContext()`: the composition's context and its proxy. */
  context: { proxyServer: string; proxyBypassList: string[] };
  /** Blocked targets in the order seen (strict mode only; unique). */
  violations: string[];
  /** Reports an attempt seen by other means (DevTools events, the page's seal script). */
  report(target: string, kind?: BlockedKind): void;
  /** Closes both black holes. */
  close(): Promise<void>;
}

export type BlockedKind = "request" | "connection" | "websocket" | "popup" | "webrtc";

const ALWAYS_ALLOWED = ["data:", "blob:", "about:"];
/** A CONNECT for a host:port the page's session already named is not reported again. */
const CONNECT_REPORT_DELAY_MS = 300;

export function isAllowedUrl(url: string, origin: string): boolean {
  if (ALWAYS_ALLOWED.some((scheme) => url.startsWith(scheme))) return true;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" && parsed.origin === origin;
  } catch {
    return false;
  }
}

/** The URL without its query and fragment (they may carry tokens); `?…` marks a dropped query. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === "data:" || parsed.protocol === "blob:") return `${parsed.protocol}…`;
    return `${parsed.origin === "null" ? `${parsed.protocol}//${parsed.host}` : parsed.origin}${parsed.pathname}${parsed.search ? "?…" : ""}`;
  } catch {
    return url.replace(/[?#].*$/s, "?…");
  }
}

/** What a blocked attempt was, for the strict-mode error: "" for a plain request. */
export function blockedKindNote(kind: BlockedKind): string {
  return { request: "", connection: " (a connection)", websocket: " (a WebSocket)", popup: " (a popup window)", webrtc: " (a WebRTC connection)" }[kind];
}

export function blockedMessage(target: string, kind: BlockedKind = "request"): string {
  switch (kind) {
    case "popup":
      return `blocked a popup window for ${target} (compositions render in one page; new windows never open)`;
    case "webrtc":
      return `blocked a WebRTC connection to ${target} (compositions cannot open peer connections)`;
    case "websocket":
      return `blocked a WebSocket to ${target} (compositions may reach the project's files only)`;
    case "connection":
      return `blocked a connection to ${target} (an https, WebSocket or WebTransport request; compositions may reach the project's files only)`;
    default:
      return (
        `blocked network request to ${target} (composition assets must be local; ` +
        `download the file into the project directory and reference it by a relative path)`
      );
  }
}

/** Parses a proxy request line: `CONNECT host:port HTTP/1.1` or `GET http://host/path HTTP/1.1`. */
export function parseProxyRequestLine(line: string): { kind: "connect"; target: string } | { kind: "request"; url: string } | null {
  const match = /^([A-Z]+) (\S+) HTTP\/\d(?:\.\d)?$/.exec(line.trim());
  if (!match) return null;
  if (match[1] === "CONNECT") return { kind: "connect", target: match[2]! };
  return { kind: "request", url: match[2]! };
}

interface BlackHole {
  port: number;
  close(): Promise<void>;
}

/** A TCP listener on 127.0.0.1 that reads a request's first line, hands it over and hangs up. */
async function startBlackHole(onLine: (line: string) => void): Promise<BlackHole> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let head = "";
    const done = () => {
      socket.destroy();
      sockets.delete(socket);
    };
    socket.setTimeout(10_000, done);
    socket.on("error", done);
    socket.on("close", () => sockets.delete(socket));
    socket.on("data", (chunk: Buffer) => {
      head += chunk.toString("latin1");
      const end = head.indexOf("\r\n");
      if (end >= 0 || head.length > 16_384) {
        if (end >= 0) onLine(head.slice(0, end));
        done();
      }
    });
  });
  server.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  server.unref();
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Opens the two black holes and returns the flags and context options that seal a browser. */
export async function openNetworkGuard(options: NetworkGuardOptions): Promise<NetworkGuard> {
  const origin = new URL(options.origin).origin;
  const fileServer = new URL(origin);
  const violations: string[] = [];
  const reported = new Set<string>();
  const authorities = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const report = (target: string, kind: BlockedKind = "request") => {
    if (closed) return;
    const shown = kind === "connection" || kind === "webrtc" ? target : redactUrl(target);
    const key = `${kind === "request" || kind === "websocket" || kind === "connection" ? "net" : kind}:${shown}`;
    const authority = authorityOf(target);
    if (authority) authorities.add(authority);
    if (reported.has(key)) return;
    reported.add(key);
    options.warn(blockedMessage(shown, kind));
    if (options.strict) {
      violations.push(shown);
      options.onViolation?.(shown, kind);
    }
  };

  const pageHole = await startBlackHole((line) => {
    const parsed = parseProxyRequestLine(line);
    if (!parsed) return report("(an unparsable proxy request)", "connection");
    if (parsed.kind === "request") return report(parsed.url, "request");
    // CONNECT carries host:port only; the page's session usually names the full URL first.
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!authorities.has(parsed.target.toLowerCase())) report(parsed.target, "connection");
    }, CONNECT_REPORT_DELAY_MS);
    timers.add(timer);
  });
  let browserHole: BlackHole;
  try {
    browserHole = await startBlackHole(() => {});
  } catch (error) {
    await pageHole.close();
    throw error;
  }

  return {
    chromiumArgs: [
      `--proxy-server=http://127.0.0.1:${browserHole.port}`,
      // Loopback is bypassed implicitly unless `<-loopback>` comes first.
      "--proxy-bypass-list=<-loopback>",
    ],
    context: {
      proxyServer: `http://127.0.0.1:${pageHole.port}`,
      proxyBypassList: ["<-loopback>", `http://${fileServer.host}`],
    },
    violations,
    report,
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all([pageHole.close(), browserHole.close()]);
    },
  };
}

/** `host:port` of a URL or of a `host:port` target, lower-case; null when there is none. */
function authorityOf(target: string): string | null {
  if (/^[^/:]+:\d+$/.test(target) || /^\[[^\]]+\]:\d+$/.test(target)) return target.toLowerCase();
  try {
    const url = new URL(target);
    if (!url.hostname) return null;
    const port = url.port || ({ "http:": "80", "ws:": "80", "https:": "443", "wss:": "443" } as Record<string, string>)[url.protocol];
    return port ? `${url.hostname}:${port}`.toLowerCase() : null;
  } catch {
    return null;
  }
}

/**
 * Runs in every document before its scripts: reports (never enables) WebRTC peer connections via
 * the `__frameloomBlocked` binding. The connection itself is already without UDP or proxy.
 */
export const SEAL_PAGE_SCRIPT = String.raw`(function () {
  var report = window.__frameloomBlocked;
  if (typeof report !== "function") return;
  ["RTCPeerConnection", "webkitRTCPeerConnection"].forEach(function (name) {
    var Real = window[name];
    if (typeof Real !== "function" || Real.__frameloomSealed) return;
    var Sealed = function RTCPeerConnection(config) {
      try {
        var urls = [];
        var servers = (config && config.iceServers) || [];
        for (var i = 0; i < servers.length; i++) urls = urls.concat(servers[i].urls || servers[i].url || []);
        report(JSON.stringify({ kind: "webrtc", target: urls.length ? urls.join(", ") : "(no ICE servers)" }));
      } catch (e) {}
      return Reflect.construct(Real, arguments, new.target || Sealed);
    };
    Sealed.prototype = Real.prototype;
    Sealed.__frameloomSealed = true;
    try { Object.setPrototypeOf(Sealed, Real); } catch (e) {}
    window[name] = Sealed;
  });
})();`;

export const SEAL_BINDING = "__frameloomBlocked";
