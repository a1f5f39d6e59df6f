/**
 * A minimal Matroska stream of MJPEG frames with timestamps, written to ffmpeg's stdin, so that a
 * frame the capture repeated (nothing changed on the page) need not be sent, decoded and
 * converted again: ffmpeg (`-fps_mode cfr`) repeats the previous picture over the gap.
 *
 * Layout: EBML header, a Segment of unknown size (a live stream), Info (1 µs timestamps), one
 * video track (V_MJPEG, the frame size, DefaultDuration = one frame), then one Cluster per frame
 * holding one key SimpleBlock. Pure: bytes out, no I/O.
 *
 * Timestamps: frame i > 0 is stamped (i + STAMP_OFFSET) / fps, frame 0 at 0 (ffmpeg shifts a stream to
 * start at 0, which would undo an offset on every frame). ffmpeg 5.1's CFR logic fills a gap
 * with the previous picture only when the next frame lies more than 1.1 frames after the last one
 * written (`delta0 > 1.1`); with frames stamped on whole frames, a gap of exactly one frame would
 * be filled with the *next* picture (one frame early). A quarter-frame offset puts every gap past
 * the threshold and rounds back onto the right frame (`llrintf(delta0 - 0.6)`, `lrintf(delta)`).
 */
import type { Fps } from "@frameloom/shared-helpers";

/** Fraction of a frame every timestamp is shifted by (see the header). */
export const STAMP_OFFSET = 0.25;

/** Matroska TimecodeScale, ns: 1 µs ticks. */
const TIMECODE_SCALE_NS = 1000;

function uint(value: number | bigint): Buffer {
  let v = BigInt(value);
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  return Buffer.from(bytes);
}

/** An EBML element size as an 8-byte vint (always valid, simplest). */
function size(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  b[0] = 0x01;
  return b;
}

const UNKNOWN_SIZE = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

function id(hex: number): Buffer {
  return uint(hex);
}

function element(elementId: number, ...children: Buffer[]): Buffer {
  const body = Buffer.concat(children);
  return Buffer.concat([id(elementId), size(body.length), body]);
}

const uintElement = (elementId: number, value: number | bigint) => element(elementId, uint(value));
const stringElement = (elementId: number, value: string) => element(elementId, Buffer.from(value, "ascii"));

/** The stream's start: EBML header, the open Segment, Info and the one MJPEG video track. */
export function matroskaHeader(o: { width: number; height: number; fps: Fps }): Buffer {
  const ebml = element(
    0x1a45dfa3,
    uintElement(0x4286, 1), // EBMLVersion
    uintElement(0x42f7, 1), // EBMLReadVersion
    uintElement(0x42f2, 4), // EBMLMaxIDLength
    uintElement(0x42f3, 8), // EBMLMaxSizeLength
    stringElement(0x4282, "matroska"), // DocType
    uintElement(0x4287, 4), // DocTypeVersion
    uintElement(0x4285, 2), // DocTypeReadVersion
  );
  const info = element(
    0x1549a966,
    uintElement(0x2ad7b1, TIMECODE_SCALE_NS), // TimecodeScale
    stringElement(0x4d80, "frameloom"), // MuxingApp
    stringElement(0x5741, "frameloom"), // WritingApp
  );
  const frameNs = Math.round((1e9 * o.fps.den) / o.fps.num);
  const track = element(
    0xae, // TrackEntry
    uintElement(0xd7, 1), // TrackNumber
    uintElement(0x73c5, 1), // TrackUID
    uintElement(0x83, 1), // TrackType: video
    uintElement(0x9c, 0), // FlagLacing
    stringElement(0x86, "V_MJPEG"), // CodecID
    uintElement(0x23e383, frameNs), // DefaultDuration
    element(0xe0, uintElement(0xb0, o.width), uintElement(0xba, o.height)), // Video: PixelWidth, PixelHeight
  );
  const tracks = element(0x1654ae6b, track);
  return Buffer.concat([ebml, id(0x18538067), UNKNOWN_SIZE, info, tracks]);
}

/** The timestamp (µs ticks) of frame `index` counted from the first frame of the stream (0). */
export function frameTicks(index: number, fps: Fps): bigint {
  if (index === 0) return 0n;
  // Exact in integers: (index + 1/4) · den / num seconds, in µs, rounded down.
  const quarters = BigInt(index * 4 + STAMP_OFFSET * 4);
  return (quarters * BigInt(fps.den) * 1_000_000n) / (4n * BigInt(fps.num));
}

/** One frame: a Cluster at its timestamp holding one key SimpleBlock of the JPEG bytes. */
export function matroskaFrame(index: number, fps: Fps, jpeg: Buffer): Buffer[] {
  // SimpleBlock: track number (vint 1), relative timecode int16 0, flags 0x80 (key frame), then the frame.
  const block = Buffer.from([0x81, 0x00, 0x00, 0x80]);
  const blockSize = block.length + jpeg.length;
  const timecode = uintElement(0xe7, frameTicks(index, fps));
  const simpleBlockHead = Buffer.concat([id(0xa3), size(blockSize), block]);
  const clusterSize = timecode.length + simpleBlockHead.length + jpeg.length;
  // The frame's bytes are passed on as they are (no copy of a 1080p JPEG per frame).
  return [Buffer.concat([id(0x1f43b675), size(clusterSize), timecode, simpleBlockHead]), jpeg];
}
