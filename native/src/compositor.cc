// Copyright Frameloom contributors.
#include "compositor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>

#include "transfer.h"

namespace flm {

namespace {

constexpr float kKr = 0.2627f;
constexpr float kKb = 0.0593f;
constexpr float kKg = 1.0f - kKr - kKb;
// Coefficients from 16-bit E' codes to 10-bit limited-range Y / Cb / Cr (Cb, Cr over a 2x2 sum).
constexpr float kYScale = 876.0f / 65535.0f;
constexpr float kCScale = 896.0f / 65535.0f / 4.0f;
constexpr float kCbDen = 2.0f * (1.0f - kKb);  // 1.8814
constexpr float kCrDen = 2.0f * (1.0f - kKr);  // 1.4746

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

// Turns a pass-through pixel (still 16-bit codes) into linear light before something blends onto it.
inline void Materialise(float* __restrict d, const uint16_t* __restrict c, const float* __restrict dec) {
  d[0] = dec[c[0]];
  d[1] = dec[c[1]];
  d[2] = dec[c[2]];
}

inline void Put(float* __restrict d, float r, float g, float b, float a, bool opaque) {
  if (opaque) {
    d[0] = r;
    d[1] = g;
    d[2] = b;
  } else {
    d[0] += (r - d[0]) * a;
    d[1] += (g - d[1]) * a;
    d[2] += (b - d[2]) * a;
  }
}

template <bool kSdrSource, bool kOpaque>
void BlendVideoRow(const uint8_t* __restrict row, const int32_t* __restrict xmap, int x0, int x1,
                   const float* __restrict dec, const float* __restrict out_dec, float alpha, float* __restrict lin,
                   uint16_t* __restrict codes, uint8_t* __restrict pass) {
  const float* m = kBt709To2020;
  for (int x = x0; x < x1; ++x) {
    const uint8_t* s = row + static_cast<size_t>(xmap[x]) * 6;
    float r = dec[Load16(s)], g = dec[Load16(s + 2)], b = dec[Load16(s + 4)];
    if (kSdrSource) {
      const float r2 = m[0] * r + m[1] * g + m[2] * b;
      const float g2 = m[3] * r + m[4] * g + m[5] * b;
      const float b2 = m[6] * r + m[7] * g + m[8] * b;
      r = r2;
      g = g2;
      b = b2;
    }
    float* d = lin + 3 * x;
    if (!kOpaque && pass[x]) Materialise(d, codes + 3 * x, out_dec);
    pass[x] = 0;
    Put(d, r, g, b, alpha, kOpaque);
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

void BlendDomRow(const uint8_t* __restrict src, int width, const float* __restrict srgb,
                 const float* __restrict out_dec, float* __restrict lin, const uint16_t* __restrict codes,
                 uint8_t* __restrict pass) {
  const float* m = kBt709To2020;
  for (int x = 0; x < width; ++x) {
    const uint8_t* s = src + 4 * x;
    const unsigned a = s[3];
    if (a == 0) continue;
    const float lr = srgb[s[0]], lg = srgb[s[1]], lb = srgb[s[2]];
    const float r = m[0] * lr + m[1] * lg + m[2] * lb;
    const float g = m[3] * lr + m[4] * lg + m[5] * lb;
    const float b = m[6] * lr + m[7] * lg + m[8] * lb;
    float* d = lin + 3 * x;
    if (a != 255 && pass[x]) Materialise(d, codes + 3 * x, out_dec);
    pass[x] = 0;
    Put(d, r, g, b, static_cast<float>(a) * (1.0f / 255.0f), a == 255);
  }
}

}  // namespace

Compositor::Compositor(int width, int height, int transfer, int format, int threads)
    : width_(width), height_(height), transfer_(transfer), format_(format),
      threads_(std::max(1, std::min(threads, 64))) {
  GetTables();  // build the process-wide tables now, not during the first frame
  const size_t w = static_cast<size_t>(std::max(width_, 0));
  scratch_.resize(threads_);
  for (auto& s : scratch_) {
    s.lin.assign(w * 6, 0.0f);
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
  return format_ == kRgb48le ? px * 6 : px * 2 + (px / 4) * 2 * 2;
}

std::string Compositor::Validate(const std::vector<LayerDesc>& layers, size_t out_length) const {
  if (width_ <= 0 || height_ <= 0 || width_ > 32768 || height_ > 32768) return "invalid output size";
  if (transfer_ != kPq && transfer_ != kHlg) return "invalid output transfer";
  if (format_ != kRgb48le && format_ != kYuv420p10le) return "invalid output format";
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
      if (l.transfer < kPq || l.transfer > kSdr) return at + "invalid video transfer";
      if (l.fit < kCover || l.fit > kFill) return at + "invalid fit";
      if (!std::isfinite(l.x) || !std::isfinite(l.y) || !std::isfinite(l.width) || !std::isfinite(l.height) ||
          !(l.width > 0) || !(l.height > 0)) {
        return at + "invalid rect";
      }
      if (!std::isfinite(l.opacity) || l.opacity < 0 || l.opacity > 1) return at + "invalid opacity";
    } else {
      return at + "unknown layer kind";
    }
  }
  return "";
}

void Compositor::Place(const LayerDesc& l, Placement* p) const {
  // Same double arithmetic, in the same order, as placement.ts (the reference).
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
  const double left = std::max(l.x, cx), right = std::min(l.x + l.width, cx + cw);
  const double top = std::max(l.y, cy), bottom = std::min(l.y + l.height, cy + ch);
  p->x0 = ClampToInt(std::ceil(left - 0.5), 0, width_);
  p->x1 = std::max(p->x0, ClampToInt(std::ceil(right - 0.5), 0, width_));
  p->y0 = ClampToInt(std::ceil(top - 0.5), 0, height_);
  p->y1 = std::max(p->y0, ClampToInt(std::ceil(bottom - 0.5), 0, height_));
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
      if (layers[i].kind == kVideo) Place(layers[i], &placements_[i]);
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
      CompositeRow(2 * u, sc.lin.data(), sc.codes.data(), sc.pass.data());
      CompositeRow(2 * u + 1, sc.lin.data() + w3, sc.codes.data() + w3, sc.pass.data() + width_);
      EncodeYuvRows(2 * u, sc.lin.data(), sc.codes.data(), sc.pass.data());
    } else {
      CompositeRow(u, sc.lin.data(), sc.codes.data(), sc.pass.data());
      EncodeRgbRow(u, sc.lin.data(), sc.codes.data(), sc.pass.data());
    }
  }
}

void Compositor::CompositeRow(int y, float* lin, uint16_t* codes, uint8_t* pass) const {
  const Tables& t = GetTables();
  const float* out_dec = t.decode[transfer_].data();
  std::fill(lin, lin + static_cast<size_t>(width_) * 3, 0.0f);  // black below the bottom layer
  std::memset(pass, 0, width_);
  for (size_t i = 0; i < layers_->size(); ++i) {
    const LayerDesc& l = (*layers_)[i];
    if (l.kind == kDom) {
      BlendDomRow(l.data + static_cast<size_t>(y) * width_ * 4, width_, t.srgb, out_dec, lin, codes, pass);
      continue;
    }
    const Placement& p = placements_[i];
    if (y < p.y0 || y >= p.y1 || p.x0 >= p.x1 || !(l.opacity > 0)) continue;
    const uint8_t* row = l.data + static_cast<size_t>(p.ymap[y]) * l.src_width * 6;
    const float* dec = t.decode[l.transfer].data();
    const float a = static_cast<float>(l.opacity);
    const int32_t* xm = p.xmap.data();
    if (l.opacity >= 1.0) {
      if (l.transfer == transfer_) PassVideoRow(row, xm, p.x0, p.x1, p.contiguous, codes, pass);
      else if (l.transfer == kSdr) BlendVideoRow<true, true>(row, xm, p.x0, p.x1, dec, out_dec, a, lin, codes, pass);
      else BlendVideoRow<false, true>(row, xm, p.x0, p.x1, dec, out_dec, a, lin, codes, pass);
    } else {
      if (l.transfer == kSdr) BlendVideoRow<true, false>(row, xm, p.x0, p.x1, dec, out_dec, a, lin, codes, pass);
      else BlendVideoRow<false, false>(row, xm, p.x0, p.x1, dec, out_dec, a, lin, codes, pass);
    }
  }
  // Encode what is linear; pass-through pixels already hold their codes.
  const uint16_t* __restrict enc = t.encode[transfer_].data();
  for (int x = 0; x < width_; ++x) {
    if (pass[x]) continue;
    codes[3 * x] = EncodeLinear(enc, lin[3 * x]);
    codes[3 * x + 1] = EncodeLinear(enc, lin[3 * x + 1]);
    codes[3 * x + 2] = EncodeLinear(enc, lin[3 * x + 2]);
  }
}

void Compositor::EncodeRgbRow(int y, const float*, const uint16_t* codes, const uint8_t*) const {
  std::memcpy(out_ + static_cast<size_t>(y) * width_ * 6, codes, static_cast<size_t>(width_) * 6);  // LE host
}

void Compositor::EncodeYuvRows(int y, const float*, const uint16_t* codes, const uint8_t*) const {
  const size_t w = width_, h = height_;
  // out_ is 2-byte aligned (checked by the bridge).
  uint16_t* __restrict yp0 = reinterpret_cast<uint16_t*>(out_) + static_cast<size_t>(y) * w;
  uint16_t* __restrict yp1 = yp0 + w;
  uint16_t* __restrict up = reinterpret_cast<uint16_t*>(out_) + w * h + static_cast<size_t>(y / 2) * (w / 2);
  uint16_t* __restrict vp = up + (w / 2) * (h / 2);
  const uint16_t* __restrict c0 = codes;
  const uint16_t* __restrict c1 = codes + 3 * w;
  const float yr = kKr * kYScale, yg = kKg * kYScale, yb = kKb * kYScale;
  const float cbr = -kKr / kCbDen * kCScale, cbg = -kKg / kCbDen * kCScale, cbb = (1.0f - kKb) / kCbDen * kCScale;
  const float crr = (1.0f - kKr) / kCrDen * kCScale, crg = -kKg / kCrDen * kCScale, crb = -kKb / kCrDen * kCScale;
  for (size_t x = 0; x < w; ++x) {
    yp0[x] = static_cast<uint16_t>(yr * c0[3 * x] + yg * c0[3 * x + 1] + yb * c0[3 * x + 2] + 64.5f);
    yp1[x] = static_cast<uint16_t>(yr * c1[3 * x] + yg * c1[3 * x + 1] + yb * c1[3 * x + 2] + 64.5f);
  }
  for (size_t cx = 0; cx < w / 2; ++cx) {
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
