import { defineErrors } from "@frameloom/shared-helpers";

/** Every error this package raises carries one of these codes. */
export const HdrNativeErrors = defineErrors({
  /** An argument has the wrong type or shape (TypeError-like). */
  INVALID_ARGUMENT: "FLM_ERR_HDR_NATIVE_INVALID_ARGUMENT",
  /** A number is out of range: odd size for yuv420p10le, opacity, rect, thread count (RangeError-like). */
  OUT_OF_RANGE: "FLM_ERR_HDR_NATIVE_OUT_OF_RANGE",
  /** A buffer's byteLength does not match width·height·channels·bytes. */
  BUFFER_SIZE: "FLM_ERR_HDR_NATIVE_BUFFER_SIZE",
  /** The C++ addon is not built or failed to load. */
  ADDON_UNAVAILABLE: "FLM_ERR_HDR_NATIVE_ADDON_UNAVAILABLE",
  /** The C++ side reported a failure (status + message). */
  COMPOSE_FAILED: "FLM_ERR_HDR_NATIVE_COMPOSE_FAILED",
  /** compose() after close(). */
  CLOSED: "FLM_ERR_HDR_NATIVE_CLOSED",
});
