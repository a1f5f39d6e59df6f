/**
 * Images and fonts before a frame (COMPOSITION.md §3.3 step 3). Invariants: a seek waits (bounded)
 * for every image whose source changed since it was last decoded, and for `document.fonts.ready`;
 * waits always resolve (a failed image paints as Chromium paints it).
 */
import type { VirtualClock } from "./clock.js";

/** Resolves when `promise` settles or after `ms` (real time), whichever is first; never rejects. */
export function waitFor(clock: VirtualClock, promise: unknown, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = clock.realSetTimeout(resolve, ms);
    Promise.resolve(promise).then(
      () => {
        clock.realClearTimeout(timer);
        resolve();
      },
      () => {
        clock.realClearTimeout(timer);
        resolve();
      },
    );
  });
}

function imageLoaded(img: HTMLImageElement): Promise<unknown> {
  if (img.complete) return Promise.resolve();
  return new Promise((resolve) => {
    img.addEventListener("load", resolve, { once: true });
    img.addEventListener("error", resolve, { once: true });
  });
}

export class ImageSettler {
  /** The source each image was last decoded with. */
  private readonly decoded = new WeakMap<HTMLImageElement, string>();

  /** A promise for the images not decoded at their current source yet; null when there are none. */
  settle(): Promise<unknown> | null {
    const imgs = document.images;
    const waits: Promise<unknown>[] = [];
    for (let i = 0; i < imgs.length; i++) {
      const img = imgs[i]!;
      const key = img.currentSrc || img.src;
      if (!key) continue;
      if (img.complete && this.decoded.get(img) === key) continue;
      waits.push(
        imageLoaded(img)
          .then(() => {
            if (!img.naturalWidth) return;
            return img.decode().catch(() => {});
          })
          .then(() => {
            if (img.complete) this.decoded.set(img, img.currentSrc || key);
          }),
      );
    }
    return waits.length ? Promise.all(waits) : null;
  }
}

export function fontsReady(): Promise<unknown> | null {
  return document.fonts && document.fonts.ready ? document.fonts.ready : null;
}
