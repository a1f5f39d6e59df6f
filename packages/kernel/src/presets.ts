/**
 * Output presets. A user picks one by name and can override any field (`resolvePreset`). Each
 * names the codec, pixel format, rate control, colour tags and what capture it needs: opaque
 * outputs capture JPEG (fastest, see docs/capture.md), alpha outputs PNG with a transparent page.
 */
import { FrameloomError, type CaptureSettings, type ColourTags, type EncodeSettings } from "@frameloom/shared-helpers";
import { KernelErrors } from "./errors.js";

export interface Preset {
  name: string;
  description: string;
  encode: EncodeSettings;
  capture: CaptureSettings;
}

export const BT709: ColourTags = { primaries: "bt709", transfer: "bt709", matrix: "bt709", range: "tv" };

const jpeg = (quality: number): CaptureSettings => ({ encoding: "jpeg", quality, transparent: false });
const transparentPng: CaptureSettings = { encoding: "png", quality: 100, transparent: true };

const h264 = (speed: string, crf: number): EncodeSettings => ({
  format: "mp4",
  codec: "libx264",
  pixelFormat: "yuv420p",
  speed,
  crf,
  alpha: false,
  colour: BT709,
});

export const PRESETS: Readonly<Record<string, Preset>> = Object.freeze({
  draft: { name: "draft", description: "H.264, x264 ultrafast, CRF 28: quick previews", encode: h264("ultrafast", 28), capture: jpeg(80) },
  standard: { name: "standard", description: "H.264, x264 medium, CRF 18 (default)", encode: h264("medium", 18), capture: jpeg(95) },
  high: { name: "high", description: "H.264, x264 slow, CRF 15: final delivery", encode: h264("slow", 15), capture: jpeg(95) },
  "webm-alpha": {
    name: "webm-alpha",
    description: "VP9 yuva420p with alpha, CRF 30",
    encode: { format: "webm", codec: "libvpx-vp9", pixelFormat: "yuva420p", speed: "good", crf: 30, alpha: true },
    capture: transparentPng,
  },
  "prores-4444": {
    name: "prores-4444",
    description: "ProRes 4444 with alpha, yuva444p10le (.mov)",
    encode: { format: "mov", codec: "prores_ks", pixelFormat: "yuva444p10le", alpha: true },
    capture: transparentPng,
  },
  gif: {
    name: "gif",
    description: "Animated GIF, two-pass palette, loops forever",
    encode: { format: "gif", codec: "gif", pixelFormat: "pal8", alpha: true, loop: 0 },
    capture: transparentPng,
  },
  "png-sequence": {
    name: "png-sequence",
    description: "Directory of RGBA PNGs frame_000001.png… (1-based)",
    encode: { format: "png-sequence", codec: "png", pixelFormat: "rgba", alpha: true },
    capture: transparentPng,
  },
});

/** The preset a `--format` picks when no preset is named. */
export const FORMAT_DEFAULT_PRESET: Readonly<Record<EncodeSettings["format"], string>> = {
  mp4: "standard",
  webm: "webm-alpha",
  mov: "prores-4444",
  gif: "gif",
  "png-sequence": "png-sequence",
};

export interface PresetOverrides {
  encode?: Partial<EncodeSettings>;
  capture?: Partial<CaptureSettings>;
}

/** Returns the named preset with overrides applied field by field. Alpha output always captures transparent PNG. */
export function resolvePreset(name: string, overrides: PresetOverrides = {}): Preset {
  const base = PRESETS[name];
  if (!base) {
    throw new FrameloomError(
      KernelErrors.PRESET_UNKNOWN,
      `unknown preset "${name}" (known: ${Object.keys(PRESETS).join(", ")})`,
    );
  }
  const encode = { ...base.encode, ...stripUndefined(overrides.encode ?? {}) };
  let capture = { ...base.capture, ...stripUndefined(overrides.capture ?? {}) };
  if (encode.alpha) capture = { ...capture, encoding: "png", transparent: true };
  return { name: base.name, description: base.description, encode, capture };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
