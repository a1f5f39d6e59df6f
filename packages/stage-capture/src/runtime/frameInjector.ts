/**
 * In-page video frame injection for SDR renders (COMPOSITION.md §4.1): the source of
 * `window.__frameloomInject = { set(frames) }`. The code and its rules are in
 * page/frameInjector.ts, bundled at build time (scripts/bundle-runtime.mjs).
 *
 * Invariant: FRAME_INJECTOR_SOURCE is a self-contained script for page.evaluateOnNewDocument().
 */
import { FRAME_INJECTOR_BUNDLE } from "./generated/pageBundles.js";

export const FRAME_INJECTOR_SOURCE: string = FRAME_INJECTOR_BUNDLE;
