/**
 * Seeded randomness (COMPOSITION.md §3.6). Invariants: Mulberry32 with HyperFrames' seed
 * `state = (imul(floor(ms), −1640531527) + 0x9E3779B9) | 0` (Knuth's multiplicative hash plus the
 * golden-ratio offset), ms = t·1000 and 0 before the first seek, so frame i draws the same
 * sequence in every render, on any worker or chunk. `SeededRandom` is pure (testable in Node);
 * `installSeededRandom` replaces Math.random, crypto.getRandomValues and crypto.randomUUID.
 */
import type { PageWindow } from "./types.js";

/** The generator's state for a frame time in ms (negative and non-numbers → 0). */
export function seedForMs(ms: number): number {
  const ms32 = Math.max(0, Math.floor(Number(ms) || 0)) | 0;
  return (Math.imul(ms32, -1640531527) + 0x9e3779b9) | 0;
}

export class SeededRandom {
  state = 0;

  reseed(ms: number): void {
    this.state = seedForMs(ms);
  }

  /** Mulberry32: the next number in [0, 1). */
  next(): number {
    this.state |= 0;
    this.state = (this.state + 0x6d2b79f5) | 0;
    let x = this.state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  }

  /** Fills a typed array as crypto.getRandomValues does: 4 bytes (little-endian) per draw, then a byte per draw. */
  fill<T extends ArrayBufferView | null>(arr: T): T {
    if (!arr || typeof arr.byteLength !== "number" || !arr.buffer) return arr;
    const byteLen = arr.byteLength;
    if (byteLen <= 0) return arr;
    const view = new DataView(arr.buffer, arr.byteOffset, byteLen);
    let i = 0;
    for (; i + 4 <= byteLen; i += 4) view.setUint32(i, (this.next() * 4294967296) >>> 0, true);
    for (; i < byteLen; i++) view.setUint8(i, (this.next() * 256) | 0);
    return arr;
  }

  /** A version-4 UUID from 16 drawn bytes. */
  uuid(): string {
    const b = this.fill(new Uint8Array(16));
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const hex: string[] = [];
    for (let k = 0; k < 16; k++) hex.push((b[k]! + 0x100).toString(16).slice(1));
    return (
      hex.slice(0, 4).join("") + "-" + hex.slice(4, 6).join("") + "-" + hex.slice(6, 8).join("") + "-" +
      hex.slice(8, 10).join("") + "-" + hex.slice(10).join("")
    );
  }
}

/** Replaces the page's generators with `rng` (seeded from 0 ms until the first seek). */
export function installSeededRandom(w: PageWindow, rng: SeededRandom): void {
  rng.reseed(0);
  try {
    Math.random = function random() {
      return rng.next();
    };
  } catch {
    // A frozen Math keeps Chromium's generator.
  }
  const cryptoObj = w.crypto;
  if (!cryptoObj || typeof cryptoObj.getRandomValues !== "function") return;
  try {
    (cryptoObj as { getRandomValues: unknown }).getRandomValues = function getRandomValues<T extends ArrayBufferView | null>(arr: T): T {
      return rng.fill(arr);
    };
  } catch {
    // Not writable: Chromium's generator stays.
  }
  if (typeof cryptoObj.randomUUID === "function") {
    try {
      (cryptoObj as { randomUUID: unknown }).randomUUID = function randomUUID() {
        return rng.uuid();
      };
    } catch {
      // Not writable: Chromium's generator stays.
    }
  }
}
