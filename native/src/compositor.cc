// Copyright Frameloom contributors.
#include "compositor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>

#include "transfer.h"

#if defined(__SSE4_1__) && defined(__SSSE3__)
#include <smmintrin.h>
#include <tmmintrin.h>
#define FLM_YUV_SSE41 1
#endif

namespace flm {

namespace {

// Coefficients from 16-bit E' codes to 10-bit limited-range Cb / Cr (over a 2x2 sum).
constexpr float kCScale = 896.0f / 65535.0f / 4.0f;

inline void Store16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }  // little-endian hosts
inline uint16_t Load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

int ClampToInt(double v, int lo, int hi) {
  if (!(v >= lo)) return lo;  // also NaN
  if (v > hi) return hi;
  return static_cast<int>(v);
}

// Row state: pass[x] = 1 means codes[3x..3x+2] hold the pixel (output-transfer codes), 0 means lin[3x..] holds it
// (linear light). A row starts as black codes (code 0 decodes to exactly 0 and 0 encodes to code 0 in PQ and HLG).
// The topmost layer (kLast) encodes what it writes straight away, so in the usual stack nothing is left linear
// and the final encode pass is skipped.

inline void Encode3(const uint16_t* __restrict enc, uint16_t* __restrict c, float r, float g, float b) {
  c[0] = EncodeLinear(enc, r);
  c[1] = EncodeLinear(enc, g);
  c[2] = EncodeLinear(enc, b);
}

// Writes source pixel (r, g, b) with alpha a over pixel x.
template <bool kOpaque, bool kLast>
inline void PutPixel(int x, float r, float g, float b, float a, const float* __restrict out_dec,
                     const uint16_t* __restrict enc, float* __restrict lin, uint16_t* __restrict codes,
                     uint8_t* __restrict pass) {
  float* d = lin + 3 * x;
  uint16_t* c = codes + 3 * x;
  if (kOpaque) {
    if (kLast) {
      Encode3(enc, c, r, g, b);
      pass[x] = 1;
    } else {
      d[0] = r;
      d[1] = g;
      d[2] = b;
      pass[x] = 0;
    }
    return;
  }
  float d0, d1, d2;
  if (pass[x]) {
    d0 = out_dec[c[0]];
    d1 = out_dec[c[1]];
    d2 = out_dec[c[2]];
  } else {
    d0 = d[0];
    d1 = d[1];
    d2 = d[2];
  }
  d0 += (r - d0) * a;
  d1 += (g - d1) * a;
  d2 += (b - d2) * a;
  if (kLast) {
    Encode3(enc, c, d0, d1, d2);
    pass[x] = 1;
  } else {
    d[0] = d0;
    d[1] = d1;
    d[2] = d2;
    pass[x] = 0;
  }
}

// m: primaries conversion of the source into the working space (BT.709 <-> BT.2020), or none (kMatrix false).
template <bool kMatrix, bool kOpaque, bool kLast>
void BlendVideoRow(const uint8_t* __restrict row, const int32_t* __restrict xmap, int x0, int x1,
                   const float* __restrict dec, const float* __restrict m, const float* __restrict out_dec,
                   const uint16_t* __restrict enc, float alpha, float* __restrict lin, uint16_t* __restrict codes,
                   uint8_t* __restrict pass) {
  for (int x = x0; x < x1; ++x) {
    const uint8_t* s = row + static_cast<size_t>(xmap[x]) * 6;
    float r = dec[Load16(s)], g = dec[Load16(s + 2)], b = dec[Load16(s + 4)];
    if (kMatrix) {
      const float r2 = m[0] * r + m[1] * g + m[2] * b;
      const float g2 = m[3] * r + m[4] * g + m[5] * b;
      const float b2 = m[6] * r + m[7] * g + m[8] * b;
      r = r2;
      g = g2;
      b = b2;
    }
    PutPixel<kOpaque, kLast>(x, r, g, b, alpha, out_dec, enc, lin, codes, pass);
  }
}

template <bool kLast>
void BlendVideoRowAny(const float* m, bool opaque, const uint8_t* row, const int32_t* xmap, int x0, int x1,
                      const float* dec, const float* out_dec, const uint16_t* enc, float alpha, float* lin,
                      uint16_t* codes, uint8_t* pass) {
  if (m != nullptr) {
    if (opaque) BlendVideoRow<true, true, kLast>(row, xmap, x0, x1, dec, m, out_dec, enc, alpha, lin, codes, pass);
    else BlendVideoRow<true, false, kLast>(row, xmap, x0, x1, dec, m, out_dec, enc, alpha, lin, codes, pass);
  } else {
    if (opaque) BlendVideoRow<false, true, kLast>(row, xmap, x0, x1, dec, m, out_dec, enc, alpha, lin, codes, pass);
    else BlendVideoRow<false, false, kLast>(row, xmap, x0, x1, dec, m, out_dec, enc, alpha, lin, codes, pass);
  }
}

// Opaque video in the output transfer: keep the codes, decode nothing.
void PassVideoRow(const uint8_t* __restrict row, const int32_t* __restrict xmap, int x0, int x1, bool contiguous,
                  uint16_t* __restrict codes, uint8_t* __restrict pass) {
  if (contiguous) {
    std::memcpy(codes + 3 * x0, row + static_cast<size_t>(xmap[x0]) * 6, static_cast<size_t>(x1 - x0) * 6);
  } else {
    for (int x = x0; x < x1; ++x) std::memcpy(codes + 3 * x, row + static_cast<size_t>(xmap[x]) * 6, 6);
  }
  std::memset(pass + x0, 1, x1 - x0);
}

// dom: DOM colour tables into the working space (t.dom or t.dom709). code_pass (sRGB output): an opaque pixel's output
// codes are its own sRGB codes (v * 257, exactly what decode + encode gives), kept as pass-through codes on any layer.
template <bool kLast>
void BlendDomRow(const uint8_t* __restrict src, int width, const float (*dom)[256][4], bool code_pass,
                 const float* __restrict out_dec, const uint16_t* __restrict enc, float* __restrict lin,
                 uint16_t* __restrict codes, uint8_t* __restrict pass) {
  const float(*__restrict tr)[4] = dom[0];
  const float(*__restrict tg)[4] = dom[1];
  const float(*__restrict tb)[4] = dom[2];
  // Last opaque pixel converted by the topmost layer: flat DOM areas (backgrounds, text) repeat colours.
  uint32_t memo_rgb = 0xffffffffu;  // never matches a masked pixel
  uint16_t memo[3] = {0, 0, 0};
  int x = 0;
  while (x < width) {
    // Blocks of 16 pixels: skip the block when all are transparent (the common case), else take them one by one.
    const int end = std::min(x + 16, width);
    if (end - x == 16) {
      uint64_t q[8];
      std::memcpy(q, src + 4 * x, 64);
      if (((((q[0] | q[1]) | (q[2] | q[3])) | ((q[4] | q[5]) | (q[6] | q[7]))) & 0xff000000ff000000ull) == 0) {
        x = end;
        continue;
      }
    }
    for (; x < end; ++x) {
    uint32_t px;
    std::memcpy(&px, src + 4 * x, 4);  // little-endian: R G B A
    const unsigned a = px >> 24;
    if (a != 0) {
      const unsigned R = px & 0xff, G = (px >> 8) & 0xff, B = (px >> 16) & 0xff;
      if (a == 255 && (kLast || code_pass)) {
        uint16_t* c = codes + 3 * x;
        if ((px & 0xffffffu) != memo_rgb) {
          memo_rgb = px & 0xffffffu;
          if (code_pass) {
            memo[0] = static_cast<uint16_t>(R * 257u);
            memo[1] = static_cast<uint16_t>(G * 257u);
            memo[2] = static_cast<uint16_t>(B * 257u);
          } else {
            Encode3(enc, memo, tr[R][0] + tg[G][0] + tb[B][0], tr[R][1] + tg[G][1] + tb[B][1],
                    tr[R][2] + tg[G][2] + tb[B][2]);
          }
        }
        c[0] = memo[0];
        c[1] = memo[1];
        c[2] = memo[2];
        pass[x] = 1;
      } else {
        const float r = tr[R][0] + tg[G][0] + tb[B][0];
        const float g = tr[R][1] + tg[G][1] + tb[B][1];
        const float b = tr[R][2] + tg[G][2] + tb[B][2];
        if (a == 255) PutPixel<true, kLast>(x, r, g, b, 1.0f, out_dec, enc, lin, codes, pass);
        else PutPixel<false, kLast>(x, r, g, b, static_cast<float>(a) * (1.0f / 255.0f), out_dec, enc, lin, codes, pass);
      }
    }
    }
  }
}

// Luma from 16-bit codes in 16-bit fixed point: pmulhuw(code, k) = floor(code * k / 65536) is 64 x that component's
// share of 876 * Y'; the sum of three (<= 56064) plus the offset fits 16 bits, >> 6 gives the rounded 10-bit Y.
// Error vs the exact value < 0.05 code (three floors and the rounded coefficients), so the rounded result is within
// 1 code of the double-precision reference.
constexpr double kLumaFix = 876.0 / 65535.0 * 4194304.0;  // * 2^22 = 2^16 (mulhi) * 2^6 (fraction)
inline uint16_t LumaWeight(double k) { return static_cast<uint16_t>(k * kLumaFix + 0.5); }
constexpr uint16_t kYBias = 64 * 64 + 32 + 1;  // 64 offset, + 0.5 to round, + ~1.5/64 for the three floors

inline uint16_t LumaScalar(const uint16_t* k, uint32_t r, uint32_t g, uint32_t b) {
  return static_cast<uint16_t>((((r * k[0]) >> 16) + ((g * k[1]) >> 16) + ((b * k[2]) >> 16) + kYBias) >> 6);
}

#if defined(FLM_YUV_SSE41)
// pshufb masks that gather the R, G and B words of 8 interleaved rgb48 pixels (three 16-byte loads).
struct Shuffles {
  __m128i m[3][3];  // [channel][load]
};

const Shuffles& GetShuffles() {
  static const Shuffles s = [] {
    Shuffles r;
    for (int ch = 0; ch < 3; ++ch) {
      for (int ld = 0; ld < 3; ++ld) {
        alignas(16) int8_t bytes[16];
        for (int lane = 0; lane < 8; ++lane) {
          const int word = 3 * lane + ch - 8 * ld;  // word index within this load
          const bool in = word >= 0 && word < 8;
          bytes[2 * lane] = in ? static_cast<int8_t>(2 * word) : static_cast<int8_t>(-128);
          bytes[2 * lane + 1] = in ? static_cast<int8_t>(2 * word + 1) : static_cast<int8_t>(-128);
        }
        r.m[ch][ld] = _mm_load_si128(reinterpret_cast<const __m128i*>(bytes));
      }
    }
    return r;
  }();
  return s;
}

inline void Deinterleave(const Shuffles& k, const uint16_t* p, __m128i* r, __m128i* g, __m128i* b) {
  const __m128i a0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i a1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8));
  const __m128i a2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
  __m128i* out[3] = {r, g, b};
  for (int ch = 0; ch < 3; ++ch) {
    *out[ch] = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a0, k.m[ch][0]), _mm_shuffle_epi8(a1, k.m[ch][1])),
                            _mm_shuffle_epi8(a2, k.m[ch][2]));
  }
}
#endif

// object-fit: the content box of the layer's source in its rect (cx, cy, cw, ch) and that box clipped to the
// rect (left, right, top, bottom). Same double arithmetic, in the same order, as fitContent in placement.ts.
void FitContent(const LayerDesc& l, Placement* p) {
  const double sw = l.src_width, sh = l.src_height;
  double cx = l.x, cy = l.y, cw = l.width, ch = l.height;
  if (l.fit != kFill) {
    const double sx = l.width / sw, sy = l.height / sh;
    const double s = l.fit == kCover ? std::max(sx, sy) : std::min(sx, sy);
    cw = sw * s;
    ch = sh * s;
    cx = l.x + (l.width - cw) / 2;
    cy = l.y + (l.height - ch) / 2;
  }
  p->cx = cx;
  p->cy = cy;
  p->cw = cw;
  p->ch = ch;
  p->left = std::max(l.x, cx);
  p->right = std::min(l.x + l.width, cx + cw);
  p->top = std::max(l.y, cy);
  p->bottom = std::min(l.y + l.height, cy + ch);
}

}  // namespace

Compositor::Compositor(int width, int height, int transfer, int format, int threads)
    : width_(width), height_(height), transfer_(transfer), format_(format),
      threads_(std::max(1, std::min(threads, 64))) {
  GetTables();  // build the process-wide tables now, not during the first frame
  // BT.709 for the sRGB output, BT.2020 NCL otherwise; the same float / double operations as before for BT.2020.
  const double kr = transfer_ == kSrgb ? 0.2126 : 0.2627, kb = transfer_ == kSrgb ? 0.0722 : 0.0593;
  kr_ = static_cast<float>(kr);
  kb_ = static_cast<float>(kb);
  yk_[0] = LumaWeight(kr);
  yk_[1] = LumaWeight(1.0 - kr - kb);
  yk_[2] = LumaWeight(kb);
  const size_t w = static_cast<size_t>(std::max(width_, 0));
  scratch_.resize(threads_);
  for (auto& s : scratch_) {
    s.lin.assign(w * 6, 0.0f);
    if (format_ == kRgba64le) s.alpha.assign(w, 0.0f);
    s.codes.assign(w * 6, 0);
    s.pass.assign(w * 2, 0);
  }
  for (int i = 1; i < threads_; ++i) pool_.emplace_back(&Compositor::WorkerLoop, this, i);
}

Compositor::~Compositor() { Close(); }

void Compositor::Close() {
  std::lock_guard<std::mutex> frame(compose_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stop_) return;
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : pool_) t.join();
  pool_.clear();
  scratch_.clear();
  scratch_.shrink_to_fit();
  placements_.clear();
  placements_.shrink_to_fit();
}

size_t Compositor::OutputLength() const {
  const size_t px = static_cast<size_t>(width_) * static_cast<size_t>(height_);
  return format_ == kRgb48le ? px * 6 : format_ == kRgba64le ? px * 8 : px * 2 + (px / 4) * 2 * 2;
}

std::string Compositor::Validate(const std::vector<LayerDesc>& layers, size_t out_length) const {
  if (width_ <= 0 || height_ <= 0 || width_ > 32768 || height_ > 32768) return "invalid output size";
  if (transfer_ != kPq && transfer_ != kHlg && transfer_ != kSrgb) return "invalid output transfer";
  if (format_ != kRgb48le && format_ != kYuv420p10le && format_ != kRgba64le) return "invalid output format";
  if (format_ == kYuv420p10le && ((width_ | height_) & 1)) return "yuv420p10le needs even width and height";
  if (out_length != OutputLength()) return "output buffer has the wrong length";
  const size_t px = static_cast<size_t>(width_) * static_cast<size_t>(height_);
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerDesc& l = layers[i];
    const std::string at = "layer " + std::to_string(i) + ": ";
    if (l.data == nullptr && l.length != 0) return at + "missing data";
    if (l.kind == kDom) {
      if (l.length != px * 4) return at + "DOM buffer length is not width*height*4";
    } else if (l.kind == kVideo) {
      if (l.src_width <= 0 || l.src_height <= 0 || l.src_width > 32768 || l.src_height > 32768) {
        return at + "invalid video size";
      }
      if (l.length != static_cast<size_t>(l.src_width) * static_cast<size_t>(l.src_height) * 6) {
        return at + "video buffer length is not width*height*6";
      }
      if (l.transfer < kPq || l.transfer > kSrgb) return at + "invalid video transfer";
      if (l.fit < kCover || l.fit > kFill) return at + "invalid fit";
      if (!std::isfinite(l.x) || !std::isfinite(l.y) || !std::isfinite(l.width) || !std::isfinite(l.height) ||
          !(l.width > 0) || !(l.height > 0)) {
        return at + "invalid rect";
      }
      if (!std::isfinite(l.opacity) || l.opacity < 0 || l.opacity > 1) return at + "invalid opacity";
      if (l.affine != 0) {
        for (double v : l.m) if (!std::isfinite(v)) return at + "invalid transform";
        for (double v : l.inv) if (!std::isfinite(v)) return at + "invalid inverse transform";
        for (double v : l.radius) if (!std::isfinite(v) || v < 0) return at + "invalid radius";
        if (!(std::fabs(l.m[0] * l.m[3] - l.m[1] * l.m[2]) > 1e-9)) return at + "transform is not invertible";
      }
    } else {
      return at + "unknown layer kind";
    }
  }
  return "";
}

void Compositor::Place(const LayerDesc& l, Placement* p) const {
  // Same double arithmetic, in the same order, as placement.ts (the reference).
  const double sw = l.src_width, sh = l.src_height;
  FitContent(l, p);
  const double cx = p->cx, cy = p->cy, cw = p->cw, ch = p->ch;
  p->x0 = ClampToInt(std::ceil(p->left - 0.5), 0, width_);
  p->x1 = std::max(p->x0, ClampToInt(std::ceil(p->right - 0.5), 0, width_));
  p->y0 = ClampToInt(std::ceil(p->top - 0.5), 0, height_);
  p->y1 = std::max(p->y0, ClampToInt(std::ceil(p->bottom - 0.5), 0, height_));
  if (p->xmap.size() < static_cast<size_t>(width_)) p->xmap.resize(width_);
  if (p->ymap.size() < static_cast<size_t>(height_)) p->ymap.resize(height_);
  p->contiguous = true;
  for (int x = p->x0; x < p->x1; ++x) {
    p->xmap[x] = ClampToInt(std::floor(((x + 0.5 - cx) * sw) / cw), 0, l.src_width - 1);
    if (x > p->x0 && p->xmap[x] != p->xmap[x - 1] + 1) p->contiguous = false;
  }
  for (int y = p->y0; y < p->y1; ++y) {
    p->ymap[y] = ClampToInt(std::floor(((y + 0.5 - cy) * sh) / ch), 0, l.src_height - 1);
  }
}

// Same double arithmetic, in the same order, as placeAffine in placement.ts (the reference).
void Compositor::PlaceAffine(const LayerDesc& l, Placement* p) const {
  FitContent(l, p);
  const double* m = l.m;
  p->scale = std::sqrt(std::fabs(m[0] * m[3] - m[1] * m[2]));
  double bx0 = INFINITY, bx1 = -INFINITY, by0 = INFINITY, by1 = -INFINITY;
  const double corners[4][2] = {{l.x, l.y}, {l.x + l.width, l.y}, {l.x, l.y + l.height}, {l.x + l.width, l.y + l.height}};
  for (const auto& c : corners) {
    const double X = m[0] * c[0] + m[2] * c[1] + m[4];
    const double Y = m[1] * c[0] + m[3] * c[1] + m[5];
    bx0 = std::min(bx0, X);
    bx1 = std::max(bx1, X);
    by0 = std::min(by0, Y);
    by1 = std::max(by1, Y);
  }
  p->x0 = ClampToInt(std::floor(bx0 - 1), 0, width_);
  p->x1 = std::max(p->x0, ClampToInt(std::ceil(bx1 + 1), 0, width_));
  p->y0 = ClampToInt(std::floor(by0 - 1), 0, height_);
  p->y1 = std::max(p->y0, ClampToInt(std::ceil(by1 + 1), 0, height_));
}

namespace {

// Signed distance (layout px, < 0 inside) of (lx, ly) to [0, w] x [0, h] with elliptical corners r (roundedRectDistance).
double RoundedRectDistance(double lx, double ly, double w, double h, const double* r) {
  double rx = 0, ry = 0, ox = 0, oy = 0;
  if (lx < r[0] && ly < r[1]) {
    rx = r[0]; ry = r[1]; ox = rx; oy = ry;
  } else if (lx > w - r[2] && ly < r[3]) {
    rx = r[2]; ry = r[3]; ox = w - rx; oy = ry;
  } else if (lx > w - r[4] && ly > h - r[5]) {
    rx = r[4]; ry = r[5]; ox = w - rx; oy = h - ry;
  } else if (lx < r[6] && ly > h - r[7]) {
    rx = r[6]; ry = r[7]; ox = rx; oy = h - ry;
  }
  if (rx > 0 && ry > 0) {
    const double nx = (lx - ox) / rx, ny = (ly - oy) / ry;
    return (std::sqrt(nx * nx + ny * ny) - 1) * std::min(rx, ry);
  }
  return std::max(std::max(-lx, lx - w), std::max(-ly, ly - h));
}

// Coverage 0..1 of output pixel (x, y) and its nearest source pixel (placeAffine's sample()).
double AffineSample(const LayerDesc& l, const Placement& p, int x, int y, int* sx, int* sy) {
  const double X = x + 0.5, Y = y + 0.5;
  const double* inv = l.inv;
  const double u = inv[0] * X + inv[2] * Y + inv[4];
  const double v = inv[1] * X + inv[3] * Y + inv[5];
  if (!(u >= p.left && u < p.right && v >= p.top && v < p.bottom) && l.fit == kContain) return 0;
  const double d = RoundedRectDistance(u - l.x, v - l.y, l.width, l.height, l.radius);
  const double cov = std::min(1.0, std::max(0.0, 0.5 - d * p.scale));
  if (!(cov > 0)) return 0;
  *sx = ClampToInt(std::floor(((u - p.cx) * l.src_width) / p.cw), 0, l.src_width - 1);
  *sy = ClampToInt(std::floor(((v - p.cy) * l.src_height) / p.ch), 0, l.src_height - 1);
  return cov;
}

}  // namespace

std::string Compositor::Compose(const std::vector<LayerDesc>& layers, uint8_t* out, size_t out_length) {
  try {
    std::lock_guard<std::mutex> frame(compose_mutex_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) return "compositor is closed";
    }
    if (out == nullptr) return "missing output buffer";
    std::string err = Validate(layers, out_length);
    if (!err.empty()) return err;
    if (placements_.size() < layers.size()) placements_.resize(layers.size());  // grows only with layer count
    for (size_t i = 0; i < layers.size(); ++i) {
      if (layers[i].kind == kVideo) {
        if (layers[i].affine != 0) PlaceAffine(layers[i], &placements_[i]);
        else Place(layers[i], &placements_[i]);
      }
    }
    layers_ = &layers;
    out_ = out;
    const int units = format_ == kYuv420p10le ? height_ / 2 : height_;
    if (threads_ > 1) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_ = threads_ - 1;
        ++generation_;
      }
      start_cv_.notify_all();
    }
    RunUnits(0, 0, units / threads_);
    if (threads_ > 1) {
      std::unique_lock<std::mutex> lock(mutex_);
      done_cv_.wait(lock, [this] { return pending_ == 0; });
    }
    layers_ = nullptr;
    out_ = nullptr;
    return "";
  } catch (const std::exception& e) {
    return std::string("native compositor failed: ") + e.what();
  } catch (...) {
    return "native compositor failed";
  }
}

void Compositor::WorkerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    const int units = format_ == kYuv420p10le ? height_ / 2 : height_;
    const int begin = static_cast<int>(static_cast<int64_t>(units) * index / threads_);
    const int end = static_cast<int>(static_cast<int64_t>(units) * (index + 1) / threads_);
    RunUnits(index, begin, end);
    bool last;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      last = --pending_ == 0;
    }
    if (last) done_cv_.notify_one();
  }
}

void Compositor::RunUnits(int thread, int begin, int end) {
  RowScratch& sc = scratch_[thread];
  const size_t w3 = static_cast<size_t>(width_) * 3;
  for (int u = begin; u < end; ++u) {
    if (format_ == kYuv420p10le) {
      CompositeRow(2 * u, sc.lin.data(), sc.codes.data(), sc.pass.data(), nullptr);
      CompositeRow(2 * u + 1, sc.lin.data() + w3, sc.codes.data() + w3, sc.pass.data() + width_, nullptr);
      EncodeYuvRows(2 * u, sc.codes.data());
    } else if (format_ == kRgba64le) {
      // rgba64le: codes in the scratch row, interleaved with alpha into the output by CompositeRow's final pass.
      CompositeRow(u, sc.lin.data(), sc.codes.data(), sc.pass.data(), sc.alpha.data());
    } else {
      // rgb48le: the row's codes are built in place in the output (2-byte aligned, checked by the bridge).
      CompositeRow(u, sc.lin.data(), reinterpret_cast<uint16_t*>(out_) + static_cast<size_t>(u) * w3, sc.pass.data(),
                   nullptr);
    }
  }
}

void Compositor::CompositeRow(int y, float* lin, uint16_t* codes, uint8_t* pass, float* alpha) const {
  const Tables& t = GetTables();
  const float* out_dec = t.decode[transfer_].data();
  const uint16_t* enc = t.encode[transfer_].data();
  // Working space: BT.2020 linear for PQ / HLG output, BT.709 linear for sRGB output (blending is linear, so this is
  // the same maths as blending in BT.2020 and converting back, without the float round trip for DOM and SDR video).
  const bool sdr_out = transfer_ == kSrgb;
  const float(*dom)[256][4] = sdr_out ? t.dom709 : t.dom;
  // rgba64le (alpha != nullptr): every layer leaves linear light (premultiplied colour, as over black) and the coverage
  // in alpha[]; the final pass divides by it. Pass-through codes only ever have coverage 0 (black) or 1 (opaque).
  const bool with_alpha = alpha != nullptr;
  const size_t n = layers_->size();
  // Black below the bottom layer, as codes; skipped when the bottom layer passes a full row of codes through.
  bool covered = false;
  if (n > 0 && (*layers_)[0].kind == kVideo) {
    const LayerDesc& l = (*layers_)[0];
    const Placement& p = placements_[0];
    covered = l.affine == 0 && l.opacity >= 1.0 && l.transfer == transfer_ && p.x0 == 0 && p.x1 == width_ && y >= p.y0 &&
              y < p.y1;
  }
  if (!covered) {
    std::memset(codes, 0, static_cast<size_t>(width_) * 6);
    std::memset(pass, 1, width_);
  }
  if (with_alpha) std::fill(alpha, alpha + width_, 0.0f);
  bool any_lin = with_alpha;  // some pixel was left in linear light by a layer below the top one
  for (size_t i = 0; i < n; ++i) {
    const LayerDesc& l = (*layers_)[i];
    const bool last = i + 1 == n && !with_alpha;
    if (l.kind == kDom) {
      const uint8_t* src = l.data + static_cast<size_t>(y) * width_ * 4;
      if (last) {
        BlendDomRow<true>(src, width_, dom, sdr_out, out_dec, enc, lin, codes, pass);
      } else {
        BlendDomRow<false>(src, width_, dom, sdr_out, out_dec, enc, lin, codes, pass);
        any_lin = true;
      }
      if (with_alpha) {
        for (int x = 0; x < width_; ++x) {
          const unsigned a8 = src[4 * x + 3];
          if (a8 == 0) continue;
          const float a = static_cast<float>(a8) * (1.0f / 255.0f);
          alpha[x] = a8 == 255 ? 1.0f : a + alpha[x] * (1.0f - a);
        }
      }
      continue;
    }
    const Placement& p = placements_[i];
    if (y < p.y0 || y >= p.y1 || p.x0 >= p.x1 || !(l.opacity > 0)) continue;
    const float* dec = t.decode[l.transfer].data();
    if (l.affine != 0) {
      // Transformed / rounded: per pixel, coverage x opacity over what is there, left in linear light.
      const bool bt709 = l.transfer == kSdr || l.transfer == kSrgb;
      const float* mm = bt709 == sdr_out ? nullptr : (sdr_out ? kBt2020To709 : kBt709To2020);
      for (int x = p.x0; x < p.x1; ++x) {
        int sx = 0, sy = 0;
        const double cov = AffineSample(l, p, x, y, &sx, &sy);
        if (!(cov > 0)) continue;
        const uint8_t* s = l.data + (static_cast<size_t>(sy) * l.src_width + sx) * 6;
        float r = dec[Load16(s)], g = dec[Load16(s + 2)], b = dec[Load16(s + 4)];
        if (mm != nullptr) {
          const float r2 = mm[0] * r + mm[1] * g + mm[2] * b;
          const float g2 = mm[3] * r + mm[4] * g + mm[5] * b;
          const float b2 = mm[6] * r + mm[7] * g + mm[8] * b;
          r = r2;
          g = g2;
          b = b2;
        }
        const float a = static_cast<float>(l.opacity * cov);
        PutPixel<false, false>(x, r, g, b, a, out_dec, enc, lin, codes, pass);
        if (with_alpha) alpha[x] = a + alpha[x] * (1.0f - a);
      }
      any_lin = true;
      continue;
    }
    const uint8_t* row = l.data + static_cast<size_t>(p.ymap[y]) * l.src_width * 6;
    const float a = static_cast<float>(l.opacity);
    const int32_t* xm = p.xmap.data();
    const bool opaque = l.opacity >= 1.0;
    const bool bt709_src = l.transfer == kSdr || l.transfer == kSrgb;
    const float* m = bt709_src == sdr_out ? nullptr : (sdr_out ? kBt2020To709 : kBt709To2020);
    if (opaque && l.transfer == transfer_) {
      PassVideoRow(row, xm, p.x0, p.x1, p.contiguous, codes, pass);
    } else if (last) {
      BlendVideoRowAny<true>(m, opaque, row, xm, p.x0, p.x1, dec, out_dec, enc, a, lin, codes, pass);
    } else {
      BlendVideoRowAny<false>(m, opaque, row, xm, p.x0, p.x1, dec, out_dec, enc, a, lin, codes, pass);
      any_lin = true;
    }
    if (with_alpha) {
      if (opaque) std::fill(alpha + p.x0, alpha + p.x1, 1.0f);
      else for (int x = p.x0; x < p.x1; ++x) alpha[x] = a + alpha[x] * (1.0f - a);
    }
  }
  if (with_alpha) {
    // Straight alpha: colour = premultiplied / coverage; nothing there = colour 0, alpha 0.
    uint16_t* o = reinterpret_cast<uint16_t*>(out_) + static_cast<size_t>(y) * width_ * 4;
    for (int x = 0; x < width_; ++x) {
      const float cov = alpha[x];
      uint16_t* c = codes + 3 * x;
      if (!pass[x]) {
        const float* d = lin + 3 * x;
        Encode3(enc, c, d[0] / cov, d[1] / cov, d[2] / cov);
      }
      o[4 * x] = c[0];
      o[4 * x + 1] = c[1];
      o[4 * x + 2] = c[2];
      o[4 * x + 3] = static_cast<uint16_t>(std::min(cov, 1.0f) * 65535.0f + 0.5f);
    }
    return;
  }
  if (!any_lin) return;
  // Encode what is still linear; pass-through pixels already hold their codes.
  for (int x = 0; x < width_; ++x) {
    if (pass[x]) continue;
    Encode3(enc, codes + 3 * x, lin[3 * x], lin[3 * x + 1], lin[3 * x + 2]);
  }
}

void Compositor::EncodeYuvRows(int y, const uint16_t* codes) const {
  const size_t w = width_, h = height_;
  // out_ is 2-byte aligned (checked by the bridge).
  uint16_t* __restrict yp0 = reinterpret_cast<uint16_t*>(out_) + static_cast<size_t>(y) * w;
  uint16_t* __restrict yp1 = yp0 + w;
  uint16_t* __restrict up = reinterpret_cast<uint16_t*>(out_) + w * h + static_cast<size_t>(y / 2) * (w / 2);
  uint16_t* __restrict vp = up + (w / 2) * (h / 2);
  const uint16_t* __restrict c0 = codes;
  const uint16_t* __restrict c1 = codes + 3 * w;
  const float kKr = kr_, kKb = kb_, kKg = 1.0f - kKr - kKb;
  const float kCbDen = 2.0f * (1.0f - kKb), kCrDen = 2.0f * (1.0f - kKr);
  const float cbr = -kKr / kCbDen * kCScale, cbg = -kKg / kCbDen * kCScale, cbb = (1.0f - kKb) / kCbDen * kCScale;
  const float crr = (1.0f - kKr) / kCrDen * kCScale, crg = -kKg / kCrDen * kCScale, crb = -kKb / kCrDen * kCScale;
  size_t x = 0;
#if defined(FLM_YUV_SSE41)
  {
    // 8 pixels of each row per step: deinterleave R, G, B (pshufb), luma in 16-bit fixed point (pmulhuw), chroma
    // from 32-bit 2x2 sums in float with the same operations, in the same order, as the scalar tail below.
    static const Shuffles& k = GetShuffles();
    const __m128i kr = _mm_set1_epi16(static_cast<short>(yk_[0])), kg = _mm_set1_epi16(static_cast<short>(yk_[1]));
    const __m128i kb = _mm_set1_epi16(static_cast<short>(yk_[2])), bias = _mm_set1_epi16(static_cast<short>(kYBias));
    const __m128i lo16 = _mm_set1_epi32(0xffff);
    const __m128 vcbr = _mm_set1_ps(cbr), vcbg = _mm_set1_ps(cbg), vcbb = _mm_set1_ps(cbb);
    const __m128 vcrr = _mm_set1_ps(crr), vcrg = _mm_set1_ps(crg), vcrb = _mm_set1_ps(crb);
    const __m128 half = _mm_set1_ps(512.5f), zero = _mm_setzero_ps(), top = _mm_set1_ps(1023.0f);
    for (; x + 8 <= w; x += 8) {
      __m128i r0, g0, b0, r1, g1, b1;
      Deinterleave(k, c0 + 3 * x, &r0, &g0, &b0);
      Deinterleave(k, c1 + 3 * x, &r1, &g1, &b1);
      const __m128i y0 = _mm_srli_epi16(
          _mm_add_epi16(_mm_add_epi16(_mm_add_epi16(_mm_mulhi_epu16(r0, kr), _mm_mulhi_epu16(g0, kg)),
                                      _mm_mulhi_epu16(b0, kb)), bias), 6);
      const __m128i y1 = _mm_srli_epi16(
          _mm_add_epi16(_mm_add_epi16(_mm_add_epi16(_mm_mulhi_epu16(r1, kr), _mm_mulhi_epu16(g1, kg)),
                                      _mm_mulhi_epu16(b1, kb)), bias), 6);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(yp0 + x), y0);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(yp1 + x), y1);
      // 2x2 sums: even + odd lanes of both rows, as 32-bit integers (exact), then float.
      auto sum4 = [&](__m128i a, __m128i b) {
        return _mm_cvtepi32_ps(_mm_add_epi32(_mm_add_epi32(_mm_and_si128(a, lo16), _mm_srli_epi32(a, 16)),
                                             _mm_add_epi32(_mm_and_si128(b, lo16), _mm_srli_epi32(b, 16))));
      };
      const __m128 sr = sum4(r0, r1), sg = sum4(g0, g1), sb = sum4(b0, b1);
      __m128 cb = _mm_add_ps(_mm_add_ps(_mm_add_ps(_mm_mul_ps(vcbr, sr), _mm_mul_ps(vcbg, sg)), _mm_mul_ps(vcbb, sb)), half);
      __m128 cr = _mm_add_ps(_mm_add_ps(_mm_add_ps(_mm_mul_ps(vcrr, sr), _mm_mul_ps(vcrg, sg)), _mm_mul_ps(vcrb, sb)), half);
      cb = _mm_min_ps(_mm_max_ps(cb, zero), top);
      cr = _mm_min_ps(_mm_max_ps(cr, zero), top);
      const __m128i uv = _mm_packus_epi32(_mm_cvttps_epi32(cb), _mm_cvttps_epi32(cr));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(up + x / 2), uv);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(vp + x / 2), _mm_unpackhi_epi64(uv, uv));
    }
  }
#endif
  for (size_t xx = x; xx < w; ++xx) {
    yp0[xx] = LumaScalar(yk_, c0[3 * xx], c0[3 * xx + 1], c0[3 * xx + 2]);
    yp1[xx] = LumaScalar(yk_, c1[3 * xx], c1[3 * xx + 1], c1[3 * xx + 2]);
  }
  for (size_t cx = x / 2; cx < w / 2; ++cx) {
    const size_t i = 6 * cx;
    const float sr = static_cast<float>(c0[i] + c0[i + 3] + c1[i] + c1[i + 3]);
    const float sg = static_cast<float>(c0[i + 1] + c0[i + 4] + c1[i + 1] + c1[i + 4]);
    const float sb = static_cast<float>(c0[i + 2] + c0[i + 5] + c1[i + 2] + c1[i + 5]);
    const float cb = cbr * sr + cbg * sg + cbb * sb + 512.5f;
    const float cr = crr * sr + crg * sg + crb * sb + 512.5f;
    up[cx] = static_cast<uint16_t>(std::min(std::max(cb, 0.0f), 1023.0f));
    vp[cx] = static_cast<uint16_t>(std::min(std::max(cr, 0.0f), 1023.0f));
  }
}

}  // namespace flm
