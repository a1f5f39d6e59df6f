/**
 * Shapes shared by the in-page modules. Invariants: types only (no code runs at import), and the
 * page's own globals (GSAP, `__timelines`, HyperFrames registries) are reached through
 * `PageWindow`, whose unknown members are `any`: the page may put anything there.
 */

/** The window of a composition page: the DOM window plus whatever the page's scripts added. */
// oxlint-disable-next-line typescript/no-explicit-any -- page globals are whatever the page's scripts put there
export type PageWindow = Window & typeof globalThis & Record<string, any>;

/** The runtime's configuration, embedded as JSON by pageRuntimeScript() (runtime/pageRuntime.ts). */
export interface RuntimeConfig {
  fps: { num: number; den: number };
  compositionId: string;
  width: number;
  height: number;
  adapterWaitMs: number;
  seedRandom: boolean;
}

/** The parts of a GSAP timeline / tween the runtime calls (GSAP 3). */
export interface GsapAnimation {
  totalTime(time?: number, suppressEvents?: boolean): number;
  duration(): number;
  totalDuration?(): number;
  paused?(value?: boolean): unknown;
  render?(time: number, suppressEvents?: boolean, force?: boolean): unknown;
  getChildren?(nested?: boolean, tweens?: boolean, timelines?: boolean): GsapAnimation[];
  targets?(): unknown[];
  parent?: GsapAnimation | null;
  remove?(child: GsapAnimation): unknown;
  vars?: Record<string, unknown>;
}

export function pageWindow(): PageWindow {
  return window as PageWindow;
}

export function messageOf(err: unknown): string {
  const message = err && typeof err === "object" && "message" in err ? (err as { message: unknown }).message : null;
  return message ? String(message) : String(err);
}
