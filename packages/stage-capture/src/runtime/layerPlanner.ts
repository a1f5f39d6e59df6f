/**
 * In-page layer planner for HDR layered capture (DESIGN.md pipeline step 4): the source of
 * `window.__frameloomLayers = { plan(mediaIds), show(k), reset() }`. The code and its rules are in
 * page/layerPlanner.ts, bundled at build time (scripts/bundle-runtime.mjs).
 *
 * Invariant: LAYER_PLANNER_SOURCE is a self-contained script for page.evaluateOnNewDocument().
 */
import { LAYER_PLANNER_BUNDLE } from "./generated/pageBundles.js";

export const LAYER_PLANNER_SOURCE: string = LAYER_PLANNER_BUNDLE;
