/**
 * One error shape for every package: a stable `FLM_ERR_<AREA>_<WHAT>` code, a message that says
 * what to do, a `retryable` flag the retry logic reads, and optional structured details.
 */
export type ErrorCode = `FLM_ERR_${string}`;

export interface FrameloomErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class FrameloomError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: FrameloomErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "FrameloomError";
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

/** Declares a package's error codes in one place (`errors.ts`), typed as literals. */
export function defineErrors<const T extends Record<string, ErrorCode>>(codes: T) {
  return codes;
}

export function isFrameloomError(value: unknown, code?: ErrorCode): value is FrameloomError {
  return value instanceof FrameloomError && (code === undefined || value.code === code);
}

/** The error's message, for anything thrown (strings, non-Error rejections). */
export function errorMessage(value: unknown): string {
  if (value instanceof Error) return value.message;
  return String(value);
}

export const SharedErrors = defineErrors({
  ABORTED: "FLM_ERR_ABORTED",
  INVALID_ARGUMENT: "FLM_ERR_INVALID_ARGUMENT",
  FPS_INVALID: "FLM_ERR_FPS_INVALID",
  FRAME_RANGE_INVALID: "FLM_ERR_FRAME_RANGE_INVALID",
  DISCOVERY_FFMPEG: "FLM_ERR_DISCOVERY_FFMPEG",
  DISCOVERY_FFPROBE: "FLM_ERR_DISCOVERY_FFPROBE",
  DISCOVERY_CHROMIUM: "FLM_ERR_DISCOVERY_CHROMIUM",
  PROCESS_FAILED: "FLM_ERR_PROCESS_FAILED",
  TEMP_UNSAFE_PATH: "FLM_ERR_TEMP_UNSAFE_PATH",
  RETRY_EXHAUSTED: "FLM_ERR_RETRY_EXHAUSTED",
  MEDIA_PROBE: "FLM_ERR_MEDIA_PROBE",
  MEDIA_FORMAT_REFUSED: "FLM_ERR_MEDIA_FORMAT_REFUSED",
});

export function abortError(signal?: AbortSignal): FrameloomError {
  const reason = signal?.reason;
  if (reason instanceof FrameloomError) return reason;
  return new FrameloomError(SharedErrors.ABORTED, `render aborted${reason ? `: ${errorMessage(reason)}` : ""}`, {
    cause: reason,
  });
}

/** Throws the abort error if the signal fired. Call after every awaited subprocess or I/O step. */
export function assertNotAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError(signal);
}
