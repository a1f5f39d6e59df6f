import { defineErrors } from "@frameloom/shared-helpers";

/** Every error code stage-encode raises (aborts use the shared FLM_ERR_ABORTED). Never reuse a retired code. */
export const EncodeErrors = defineErrors({
  /** ffmpeg failed to start, exited non-zero, or died mid-stream; the message carries its stderr tail. */
  FFMPEG_FAILED: "FLM_ERR_ENCODE_FFMPEG_FAILED",
  /** EncodeSettings do not describe an encode this stage can do (codec/format mismatch, crf+bitrate, …). */
  SETTINGS_INVALID: "FLM_ERR_ENCODE_SETTINGS_INVALID",
  /** The stage input is malformed (neither or both frame sources, bad range, bad size). */
  INPUT_INVALID: "FLM_ERR_ENCODE_INPUT_INVALID",
  /** A frame arrived out of index order (or a frame was skipped). */
  FRAME_OUT_OF_ORDER: "FLM_ERR_ENCODE_FRAME_OUT_OF_ORDER",
  /** The stream ended before the range was complete, or a file of the disk route is missing. */
  FRAME_MISSING: "FLM_ERR_ENCODE_FRAME_MISSING",
  /** A frame's bytes do not match its encoding and the composition size, or encodings are mixed. */
  FRAME_INVALID: "FLM_ERR_ENCODE_FRAME_INVALID",
  /** The output path cannot be written (missing or read-only directory). */
  OUTPUT_UNWRITABLE: "FLM_ERR_ENCODE_OUTPUT_UNWRITABLE",
  /** The encoded file is not what was asked for: unreadable (truncated), wrong container/codec, missing audio, wrong frame count. */
  OUTPUT_INVALID: "FLM_ERR_ENCODE_OUTPUT_INVALID",
  /** A write of the output failed for want of space (ENOSPC / EDQUOT), reported by ffmpeg or by the file system. */
  DISK_FULL: "FLM_ERR_ENCODE_DISK_FULL",
  /**
   * Segments handed to assembly cannot be joined: a gap or overlap, a missing or unreadable file,
   * a frame count other than `to - from`, no keyframe at its start, or a codec/size unlike the others.
   * `details.segment` is the index, `details.reason` one of gap|overlap|missing|unreadable|frames|keyframe|mismatch.
   */
  SEGMENTS_INVALID: "FLM_ERR_ENCODE_SEGMENTS_INVALID",
});

export type EncodeErrorCode = (typeof EncodeErrors)[keyof typeof EncodeErrors];
