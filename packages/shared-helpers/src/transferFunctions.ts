/**
 * BT.2100 transfer functions in exact double-precision maths: SMPTE ST 2084 (PQ) and ARIB STD-B67 (HLG), with the
 * BT.2100 reference HLG display (1000 nits, system gamma 1.2). The HDR reference compositor (stage-hdr-native) and
 * the plan's light measurement (stage-plan) both use these; the C++ addon (native/src/transfer.cc) computes the
 * same formulas.
 *
 * Invariant: inputs outside their range are clamped to it; NaN passes through, as in the C++ (callers that want
 * another NaN rule apply it before calling).
 */

/** PQ's absolute peak: signal 1.0 = 10 000 nits. */
export const PQ_PEAK_NITS = 10_000;
/** HLG nominal display peak used for the OOTF. */
export const HLG_DISPLAY_PEAK_NITS = 1000;
/** HLG system gamma at 1000 nits. */
export const HLG_SYSTEM_GAMMA = 1.2;

const M1 = 2610 / 16384;
const M2 = (2523 / 4096) * 128;
const C1 = 3424 / 4096;
const C2 = (2413 / 4096) * 32;
const C3 = (2392 / 4096) * 32;
const HLG_A = 0.17883277;
const HLG_B = 1 - 4 * HLG_A;
const HLG_C = 0.5 - HLG_A * Math.log(4 * HLG_A);

/** Clamps to 0..1; NaN stays NaN. */
export function clampUnit(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** PQ inverse EOTF: absolute nits (0..10 000) → signal 0..1. */
export function pqEncode(nits: number): number {
  const y = Math.pow(clampUnit(nits / PQ_PEAK_NITS), M1);
  return Math.pow((C1 + C2 * y) / (1 + C3 * y), M2);
}

/** PQ EOTF: signal 0..1 → absolute nits. */
export function pqDecode(signal: number): number {
  const p = Math.pow(clampUnit(signal), 1 / M2);
  return PQ_PEAK_NITS * Math.pow(Math.max(p - C1, 0) / (C2 - C3 * p), 1 / M1);
}

/** HLG OETF: scene linear 0..1 → signal. */
export function hlgOetf(scene: number): number {
  const e = clampUnit(scene);
  return e <= 1 / 12 ? Math.sqrt(3 * e) : HLG_A * Math.log(12 * e - HLG_B) + HLG_C;
}

/** HLG inverse OETF: signal 0..1 → scene linear 0..1. */
export function hlgInverseOetf(signal: number): number {
  const v = clampUnit(signal);
  return v <= 0.5 ? (v * v) / 3 : (Math.exp((v - HLG_C) / HLG_A) + HLG_B) / 12;
}
