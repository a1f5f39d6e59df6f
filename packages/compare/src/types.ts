/**
 * The comparison contract: what `compare(a, b, options)` takes and returns. Every threshold has a
 * default here, once; the CLI and the regression runner pass options through unchanged.
 */

export interface CompareOptions {
  /** Checkpoints spread over the shorter video (HyperFrames' 100 by default). */
  checkpoints?: number;
  /** dB; a checkpoint (or png file) below this fails. Default 30. */
  minPsnr?: number;
  /** Checkpoints (or png files) allowed below `minPsnr`. Default 0. */
  maxFrameFailures?: number;
  /** 0..1 floor on the best audio-envelope correlation. Default 0.9. */
  minAudioCorrelation?: number;
  /** Lag search range, in envelope windows (1024 samples at 16 kHz = 64 ms). Default 5. */
  maxAudioLagWindows?: number;
  /** Writes side-by-side PNGs (a | b | difference) of the worst checkpoints here. */
  diffDir?: string;
  /** How many worst checkpoints get a diff image. Default 5. */
  diffCount?: number;
  signal?: AbortSignal;
}

export interface MediaInfo {
  path: string;
  kind: "video" | "png-sequence";
  width: number;
  height: number;
  /** Video frames (packets of the first video stream), or PNG files. */
  frames: number;
  /** Seconds (container duration; frames / fps for a png sequence). */
  duration: number;
  /** r_frame_rate as ffprobe prints it ("30/1"), null for png sequences. */
  fps: string | null;
  pixFmt: string;
  /** Bit depth compared at: 10 for HDR / >8-bit sources, else 8. */
  bitDepth: 8 | 10;
  hasAlpha: boolean;
  hasAudio: boolean;
}

export interface Checkpoint {
  /** 0-based checkpoint number k. */
  index: number;
  /** 0-based frame compared (round(t_k × fps)); the file index for png sequences. */
  frame: number;
  /** Seconds. */
  time: number;
  /** dB; Infinity when identical. */
  psnr: number;
  pass: boolean;
  /** png sequences: the file name compared. */
  file?: string;
}

export interface VideoComparison {
  bitDepth: 8 | 10;
  checkpoints: Checkpoint[];
  failedCheckpoints: number;
  minPsnr: number;
  meanPsnr: number;
  /** Earliest failing checkpoint (by time), if any. */
  firstFailure: Checkpoint | null;
  pass: boolean;
}

export interface AudioComparison {
  /** Which sides carry an audio stream. */
  present: "both" | "none" | "a-only" | "b-only";
  /** Best Pearson correlation of the RMS envelopes over lags in [-maxLag, maxLag]. */
  correlation: number;
  /** Lag (windows, b relative to a) of the best correlation. */
  lagWindows: number;
  pass: boolean;
}

export interface CompareResult {
  pass: boolean;
  /** One line per failed check, e.g. "frame count: a has 150, b has 149". Empty when passing. */
  failures: string[];
  a: MediaInfo;
  b: MediaInfo;
  /** Null when the structural checks (resolution, kind) already failed. */
  video: VideoComparison | null;
  audio: AudioComparison | null;
  /** Diff images written (absolute paths), worst first. */
  diffImages: string[];
  /** The thresholds in force (defaults filled in). */
  thresholds: Required<Pick<CompareOptions, "checkpoints" | "minPsnr" | "maxFrameFailures" | "minAudioCorrelation" | "maxAudioLagWindows">>;
}
