/**
 * Timing and media attribute rules (COMPOSITION.md §2.2, §2.3) shared by the compile stage (which
 * reads parse5 trees) and the in-page runtime (which reads the live DOM; src/runtime/page bundles
 * this file). Invariants: no imports, no Node or DOM APIs; every rule reads attributes through a
 * `read(name)` callback, so both sides apply exactly the same rule to their own tree.
 */

/** Reads one attribute of the element a rule is applied to (null when absent). */
export type AttributeReader = (name: string) => string | null;

/** An attribute as a finite number; null when absent, blank or not a number. */
export function toNumber(value: string | null): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (text === "") return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** `data-start="intro"`, `"intro + 0.5"`, `"intro-1"`: an id (or composition id) and an optional signed offset. */
export const TIMING_REFERENCE = /^([A-Za-z0-9_.:-]+?)\s*(?:([+-])\s*(\d+(?:\.\d+)?|\.\d+))?$/;

/**
 * Resolves a non-numeric `data-start` (already trimmed): the whole text as an id first (ids may
 * contain "-" and "."), else `id ± offset`. Null when nothing matches.
 */
export function resolveTimingReference<T>(text: string, lookup: (id: string) => T | null | undefined): { target: T; offset: number } | null {
  const direct = lookup(text);
  if (direct) return { target: direct, offset: 0 };
  const match = TIMING_REFERENCE.exec(text);
  if (!match) return null;
  const target = lookup(match[1]!);
  if (!target) return null;
  const offset = match[2] && match[3] ? (match[2] === "-" ? -1 : 1) * Number(match[3]) : 0;
  return { target, offset };
}

/**
 * The start a `data-start` gives (s): absent or numeric → host start + value, never below 0; any
 * other text → `reference(text.trim())` (the referenced clip's end plus its offset).
 */
export function clipStart(raw: string | null, hostStart: () => number, reference: (text: string) => number): number {
  const value = toNumber(raw);
  if (raw === null || value !== null) return Math.max(0, hostStart() + (value ?? 0));
  return reference(raw.trim());
}

/** Where a clip that starts after `target` starts: the target's end plus the offset, never below 0. */
export function startAfter(targetStart: number, targetDuration: number | null, offset: number): number {
  return Math.max(0, targetStart + (targetDuration ?? 0) + offset);
}

/**
 * The duration the attributes give (s): `data-duration` when > 0, else `data-end` − start when
 * that is > 0 (start is asked for only then); null when neither does.
 */
export function authoredDuration(read: AttributeReader, start: () => number): number | null {
  const d = toNumber(read("data-duration"));
  if (d !== null && d > 0) return d;
  const end = toNumber(read("data-end"));
  if (end !== null) {
    const length = end - start();
    if (length > 0) return length;
  }
  return null;
}

/** `data-playback-rate`: absent, non-finite or ≤ 0 → 1, else clamped to [0.1, 5] (§2.3). */
export function playbackRateOf(read: AttributeReader): number {
  const value = toNumber(read("data-playback-rate"));
  return value === null || value <= 0 ? 1 : Math.min(5, Math.max(0.1, value));
}

/** Where media (or a sub-composition's timeline) starts playing (s): `data-playback-start`, else `data-media-start`, when ≥ 0; else 0. */
export function playbackStartOf(read: AttributeReader): number {
  for (const name of ["data-playback-start", "data-media-start"]) {
    const value = toNumber(read(name));
    if (value !== null && value >= 0) return value;
  }
  return 0;
}

/** The root's duration attributes, in the order they are read (§3.2). */
export const ROOT_DURATION_ATTRIBUTES: readonly string[] = ["data-duration", "data-composition-duration"];
