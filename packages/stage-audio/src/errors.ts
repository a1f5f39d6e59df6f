import { defineErrors } from "@frameloom/shared-helpers";

/** Every error code stage-audio raises (aborts use the shared FLM_ERR_ABORTED). Never reuse a retired code. */
export const AudioErrors = defineErrors({
  /** The mixing ffmpeg run failed to start or exited non-zero; the message carries its stderr tail. */
  MIX_FAILED: "FLM_ERR_AUDIO_MIX_FAILED",
  /** A `<video>` that should sound could not be probed with ffprobe (an `<audio>` is dropped with a warning instead). */
  /** The stage input is malformed (bad range or fps). */
  INPUT_INVALID: "FLM_ERR_AUDIO_INPUT_INVALID",
});

export type AudioErrorCode = (typeof AudioErrors)[keyof typeof AudioErrors];
