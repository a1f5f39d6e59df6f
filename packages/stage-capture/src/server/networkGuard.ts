/**
 * Network guard: composition pages may load from the file server's origin, `data:`, `blob:` and
 * `about:` only. Everything else is aborted and reported (once per URL); with `strict`, it is
 * also recorded in `violations` so the capture loop can fail the render naming the first URL.
 */
import type { HTTPRequest, Page } from "puppeteer-core";

export interface NetworkGuardOptions {
  /** The file server's origin, e.g. `http://127.0.0.1:43567`. */
  origin: string;
  strict: boolean;
  warn(message: string): void;
}

export interface NetworkGuard {
  /** Blocked URLs in the order seen (strict mode only; unique). */
  violations: string[];
}

const ALWAYS_ALLOWED = ["data:", "blob:", "about:"];

export function isAllowedUrl(url: string, origin: string): boolean {
  if (ALWAYS_ALLOWED.some((scheme) => url.startsWith(scheme))) return true;
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

export function blockedMessage(url: string): string {
  return (
    `blocked network request to ${url} (composition assets must be local; ` +
    `download the file into the project directory and reference it by a relative path)`
  );
}

export async function guardNetwork(page: Page, options: NetworkGuardOptions): Promise<NetworkGuard> {
  const origin = new URL(options.origin).origin;
  const violations: string[] = [];
  const reported = new Set<string>();
  await page.setRequestInterception(true);
  page.on("request", (request: HTTPRequest) => {
    if (request.isInterceptResolutionHandled()) return;
    const url = request.url();
    if (isAllowedUrl(url, origin)) {
      void request.continue(request.continueRequestOverrides(), 0).catch(() => {});
      return;
    }
    if (!reported.has(url)) {
      reported.add(url);
      options.warn(blockedMessage(url));
      if (options.strict) violations.push(url);
    }
    void request.abort("blockedbyclient", 0).catch(() => {});
  });
  return { violations };
}
