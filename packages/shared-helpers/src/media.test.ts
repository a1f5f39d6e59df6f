import { describe, expect, it } from "vitest";
import { mediaLocalTime, type MediaSource } from "./contracts.js";
import { TONE_MAP_FILTER, assertMediaFormat, referencingDemuxer, signalRgbZscale, sniffReferencingFormat, toneMappedSdrZscale, transferOf } from "./media.js";

const clip = (extra: Partial<MediaSource> = {}): MediaSource => ({
  kind: "video",
  path: "/p/a.mp4",
  id: "a",
  start: 1,
  duration: null,
  mediaStart: 0.5,
  ...extra,
});

describe("mediaLocalTime (COMPOSITION.md §4.1)", () => {
  it("is (t − start) × rate, never negative", () => {
    expect(mediaLocalTime(clip(), 0)).toBe(0);
    expect(mediaLocalTime(clip(), 2.5)).toBe(1.5);
    expect(mediaLocalTime(clip({ playbackRate: 2 }), 2.5)).toBe(3);
  });
  it("wraps by the playable length (file − media start) with loop, and only then", () => {
    expect(mediaLocalTime(clip({ loop: true, sourceDuration: 2.5 }), 4.5)).toBeCloseTo(1.5, 9);
    expect(mediaLocalTime(clip({ loop: false, sourceDuration: 2.5 }), 4.5)).toBe(3.5);
    expect(mediaLocalTime(clip({ loop: true, sourceDuration: null }), 4.5)).toBe(3.5);
  });
});

describe("transferOf", () => {
  it("maps ffprobe's colour transfer: PQ, HLG, else SDR", () => {
    expect(transferOf("smpte2084")).toBe("pq");
    expect(transferOf("arib-std-b67")).toBe("hlg");
    expect(transferOf("bt709")).toBe("sdr");
    expect(transferOf(undefined)).toBe("sdr");
  });
});

/** A readAt over an in-memory file. */
const reader = (bytes: Buffer) => async (offset: number, length: number) => bytes.subarray(offset, offset + length);

describe("playlists and manifests (media that names other files)", () => {
  it("finds the demuxers that read other files in ffprobe's format_name", () => {
    expect(referencingDemuxer("hls")).toBe("hls");
    expect(referencingDemuxer("concat")).toBe("concat");
    expect(referencingDemuxer("mov,mp4,m4a,3gp,3g2,mj2")).toBeNull();
    expect(referencingDemuxer("matroska,webm")).toBeNull();
    expect(referencingDemuxer(undefined)).toBeNull();
    expect(() => assertMediaFormat("hls", "/p/a.mp4")).toThrow(expect.objectContaining({ code: "FLM_ERR_MEDIA_FORMAT_REFUSED", message: expect.stringContaining("/p/a.mp4") }));
    expect(() => assertMediaFormat("mp3", "/p/a.mp3")).not.toThrow();
  });

  it("sniffs HLS, ffconcat, DASH, IMF and SDP by their first bytes, after an ID3v2 tag too", async () => {
    const sniff = (text: string | Buffer) => sniffReferencingFormat(reader(Buffer.isBuffer(text) ? text : Buffer.from(text)));
    expect(await sniff("#EXTM3U\n#EXTINF:1,\n/etc/secret.mp4\n")).toBe("an HLS playlist");
    expect(await sniff("ffconcat version 1.0\nfile a.mp4\n")).toBe("an ffconcat script");
    expect(await sniff('<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011">')).toBe("a DASH manifest");
    expect(await sniff('<?xml version="1.0"?><CompositionPlaylist xmlns="x">')).toBe("an IMF composition playlist");
    expect(await sniff("v=0\no=- 0 0 IN IP4 127.0.0.1\n")).toBe("an SDP description");
    const id3 = Buffer.concat([Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 5]), Buffer.alloc(5), Buffer.from("#EXTM3U\n")]);
    expect(await sniff(id3)).toBe("an HLS playlist");
    expect(await sniff(Buffer.from([0, 0, 0, 0x20, 0x66, 0x74, 0x79, 0x70]))).toBeNull(); // ....ftyp: MP4
    expect(await sniff("")).toBeNull();
    expect(await sniff("<svg xmlns='http://www.w3.org/2000/svg'/>")).toBeNull();
  });
});

describe("signalRgbZscale", () => {
  it("undoes the matrix and the range only: transfer and primaries in = out", () => {
    expect(signalRgbZscale("pq", "limited")).toBe(
      "zscale=matrixin=2020_ncl:rangein=limited:range=full:transferin=smpte2084:transfer=smpte2084:primariesin=2020:primaries=2020:chromalin=center:filter=bilinear",
    );
    expect(signalRgbZscale("hlg", "full")).toBe(
      "zscale=matrixin=2020_ncl:rangein=full:range=full:transferin=arib-std-b67:transfer=arib-std-b67:primariesin=2020:primaries=2020:chromalin=center:filter=bilinear",
    );
    expect(signalRgbZscale("sdr", "limited")).toBe(
      "zscale=matrixin=709:rangein=limited:range=full:transferin=709:transfer=709:primariesin=709:primaries=709:chromalin=center:filter=bilinear",
    );
  });
});

describe("toneMappedSdrZscale", () => {
  it("to linear (1.0 = 203 nits), BT.709, Möbius, sRGB; the matrix undone first for Y'CbCr only", () => {
    expect(toneMappedSdrZscale("pq", "limited")).toBe(
      "zscale=matrixin=2020_ncl:rangein=limited:m=2020_ncl:chromalin=center:filter=bilinear:transferin=smpte2084:primariesin=2020:t=linear:npl=203:p=2020:r=full,format=gbrpf32le," +
        `zscale=p=709,${TONE_MAP_FILTER},zscale=t=iec61966-2-1:m=709:r=full,format=gbrp16le`,
    );
    expect(toneMappedSdrZscale("hlg", null)).toBe(
      "zscale=transferin=arib-std-b67:primariesin=2020:t=linear:npl=203:p=2020:r=full,format=gbrpf32le," +
        `zscale=p=709,${TONE_MAP_FILTER},zscale=t=iec61966-2-1:m=709:r=full,format=gbrp16le`,
    );
    expect(TONE_MAP_FILTER).toBe("tonemap=tonemap=mobius:param=0.8:desat=0:peak=4.926108");
  });
});
