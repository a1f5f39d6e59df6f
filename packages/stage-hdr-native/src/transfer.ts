/**
 * BT.2100 / BT.2408 transfer functions, exact double-precision maths (no tables). The reference
 * compositor uses these directly; the C++ addon builds its lookup tables from the same formulas.
 * PQ and HLG themselves live in shared-helpers (transferFunctions.ts), which the plan's light
 * measurement uses too; this module adds the display-referred forms, sRGB and SDR video.
 */

import { HLG_DISPLAY_PEAK_NITS, HLG_SYSTEM_GAMMA, clampUnit, hlgInverseOetf, hlgOetf, pqDecode, pqEncode } from "@frameloom/shared-helpers";

/** SDR reference white (BT.2408): linear 1.0 = 203 nits. */
export const REFERENCE_WHITE_NITS = 203;

/** Display nits on a 1000-nit HLG display → signal (inverse OOTF per component, then OETF). 203 → 0.75. */
function hlgEncode(nits: number): number {
  return hlgOetf(Math.pow(clampUnit(nits / HLG_DISPLAY_PEAK_NITS), 1 / HLG_SYSTEM_GAMMA));
}
/** HLG signal → display nits on a 1000-nit display (inverse OETF, then OOTF per component). 0.75 → 203. */
function hlgDecode(signal: number): number {
  return HLG_DISPLAY_PEAK_NITS * Math.pow(hlgInverseOetf(signal), HLG_SYSTEM_GAMMA);
}
/** sRGB EOTF (IEC 61966-2-1), 0..1 → linear 0..1. */
function srgbToLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
}
/** sRGB OETF (inverse EOTF, IEC 61966-2-1): linear (1.0 = SDR white) → 0..1, clipped to 0..1. */
function srgbEncode(linear: number): number {
  const l = clampUnit(linear);
  return l <= 0.0031308 ? 12.92 * l : 1.055 * Math.pow(l, 1 / 2.4) - 0.055;
}
/** SDR video (BT.1886 with black level 0, i.e. pure gamma 2.4): 0..1 → linear 0..1 (1.0 = SDR white). */
function sdrVideoToLinear(v: number): number {
  return Math.pow(clampUnit(v), 2.4);
}

/** BT.709 → BT.2020 primaries in linear light (BT.2087), row-major. */
export const BT709_TO_BT2020: readonly number[] = [0.6274, 0.3293, 0.0433, 0.0691, 0.9195, 0.0114, 0.0164, 0.088, 0.8956];

/** The exact inverse of BT709_TO_BT2020 (adjugate / determinant; native/src/transfer.cc computes it the same way). */
export const BT2020_TO_BT709: readonly number[] = ((a) => {
  const c00 = a[4] * a[8] - a[5] * a[7];
  const c01 = a[5] * a[6] - a[3] * a[8];
  const c02 = a[3] * a[7] - a[4] * a[6];
  const det = a[0] * c00 + a[1] * c01 + a[2] * c02;
  return [
    c00 / det, (a[2] * a[7] - a[1] * a[8]) / det, (a[1] * a[5] - a[2] * a[4]) / det,
    c01 / det, (a[0] * a[8] - a[2] * a[6]) / det, (a[2] * a[3] - a[0] * a[5]) / det,
    c02 / det, (a[1] * a[6] - a[0] * a[7]) / det, (a[0] * a[4] - a[1] * a[3]) / det,
  ];
})(BT709_TO_BT2020);

/** The exact transfer functions, shared by the reference compositor and the tests. */
export const transfer = {
  pqEncode,
  pqDecode,
  hlgOetf,
  hlgInverseOetf,
  hlgEncode,
  hlgDecode,
  srgbToLinear,
  srgbEncode,
  sdrVideoToLinear,
} as const;
