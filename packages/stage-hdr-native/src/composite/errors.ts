import { defineErrors } from "@frameloom/shared-helpers";

/** Error codes of the composite stage (HDR layered frames → yuv420p10le frames). */
export const CompositeErrors = defineErrors({
  /** The PNG uses something the fast decoder does not handle (16-bit, palette, grey, interlaced). */
  PNG_UNSUPPORTED: "FLM_ERR_HDR_COMPOSITE_PNG_UNSUPPORTED",
  /** The bytes are not a well-formed PNG (signature, chunk layout, zlib data, filter type). */
  PNG_INVALID: "FLM_ERR_HDR_COMPOSITE_PNG_INVALID",
  /** A DOM layer's PNG is not the composition's size. */
  PNG_SIZE: "FLM_ERR_HDR_COMPOSITE_PNG_SIZE",
  /** A media layer names a media id that is not in composition.media. */
  MEDIA_UNKNOWN: "FLM_ERR_HDR_COMPOSITE_MEDIA_UNKNOWN",
  /** ffprobe/ffmpeg could not decode a media file (stderr tail in the message). */
  MEDIA_DECODE: "FLM_ERR_HDR_COMPOSITE_MEDIA_DECODE",
  /** frameAt() after close(). */
  MEDIA_CLOSED: "FLM_ERR_HDR_COMPOSITE_MEDIA_CLOSED",
  /** Layered frames arrived but neither the composition nor the config carries an HDR plan. */
  NO_HDR_PLAN: "FLM_ERR_HDR_COMPOSITE_NO_HDR_PLAN",
});
