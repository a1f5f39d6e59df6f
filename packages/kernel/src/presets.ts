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

/** HDR10 static metadata (BT.2020 primaries, D65, 1000-nit mastering, MaxCLL 1000 / MaxFALL 400). */
export const HDR10_METADATA =
  "master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):max-cll=1000,400:hdr10=1:hdr10-opt=1";

const hevcHdr = (transfer: "smpte2084" | "arib-std-b67"): EncodeSettings => ({
  format: "mp4",
  codec: "libx265",
  pixelFormat: "yuv420p10le",
  // x265 veryfast keeps a 1080p HDR render ahead of capture on 2 cores (see bench/).
  speed: "veryfast",
  crf: 18,
  alpha: false,
  colour: { primaries: "bt2020", transfer, matrix: "bt2020nc", range: "tv" },
  codecParams: transfer === "smpte2084" ? HDR10_METADATA : undefined,
});

/** HDR presets capture layered (transparent PNG DOM layers composited over decoded media). */
export const HDR_PRESETS: ReadonlySet<string> = new Set(["hdr10", "hlg", "prores-4444-hdr"]);

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
  hdr10: {
    name: "hdr10",
    description: "HDR10: HEVC Main 10, PQ, BT.2020, mastering display + MaxCLL/MaxFALL metadata",
    encode: hevcHdr("smpte2084"),
    capture: transparentPng,
  },
  hlg: {
    name: "hlg",
    description: "HLG: HEVC Main 10, ARIB STD-B67, BT.2020",
    encode: hevcHdr("arib-std-b67"),
    capture: transparentPng,
  },
  "prores-4444-hdr": {
    name: "prores-4444-hdr",
    description: "ProRes 4444 with alpha in PQ / BT.2020, yuva444p10le (.mov): HDR with transparency",
    encode: {
      format: "mov",
      codec: "prores_ks",
      pixelFormat: "yuva444p10le",
      alpha: true,
      colour: { primaries: "bt2020", transfer: "smpte2084", matrix: "bt2020nc", range: "tv" },
    },
    capture: transparentPng,
  },
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
