// Copyright Frameloom contributors.
// Linear-light compositor: DOM (sRGB RGBA8) and video (rgb48le PQ/HLG/SDR/sRGB) layers, bottom to top, into PQ / HLG
// (BT.2020) or sRGB (BT.709) rgb48le, yuv420p10le (BT.2020 / BT.709 NCL, limited range) or rgba64le (straight alpha =
// coverage over transparent). Plain C++, no Node-API types.
#ifndef NATIVE_SRC_COMPOSITOR_H_
#define NATIVE_SRC_COMPOSITOR_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace flm {

enum OutputFormat : int { kRgb48le = 0, kYuv420p10le = 1, kRgba64le = 2 };
enum LayerKind : int { kDom = 0, kVideo = 1 };
enum Fit : int { kCover = 0, kContain = 1, kFill = 2 };

struct LayerDesc {
  int kind = kDom;
  const uint8_t* data = nullptr;
  size_t length = 0;
  int src_width = 0;  // video only
  int src_height = 0;
  int transfer = 0;   // Transfer (video only)
  double x = 0, y = 0, width = 0, height = 0;
  double opacity = 1.0;
  int fit = kFill;
  // Transformed / rounded video (affine != 0): forward m and inverse inv affine [a, b, c, d, e, f] (CSS order) from the
  // untransformed rect to output pixels, used corner radii [tl x, y, tr x, y, br x, y, bl x, y] (placement.ts).
  int affine = 0;
  double m[6] = {1, 0, 0, 1, 0, 0};
  double inv[6] = {1, 0, 0, 1, 0, 0};
  double radius[8] = {0, 0, 0, 0, 0, 0, 0, 0};
};

// Where a video layer lands: output pixels [x0, x1) x [y0, y1), source column/row per output pixel.
struct Placement {
  int x0 = 0, x1 = 0, y0 = 0, y1 = 0;
  std::vector<int32_t> xmap;  // sized to the output width once, grown only
  std::vector<int32_t> ymap;  // sized to the output height once, grown only
  bool contiguous = false;    // xmap[x] == xmap[x0] + (x - x0): a row span can be copied as is
  double cx = 0, cy = 0, cw = 0, ch = 0;          // object-fit content box (FitContent)
  double left = 0, right = 0, top = 0, bottom = 0;  // content box clipped to the rect
  // Affine layers: [x0, x1) x [y0, y1) are the transformed box's bounds; per-pixel maths in AffineSample.
  double scale = 1;                                // output px per layout px
};

// One thread's working rows (two, for 4:2:0): per pixel either output-transfer 16-bit codes (pass = 1: black,
// pass-through video, or what the topmost layer already encoded) or linear RGB (pass = 0, left by a lower layer
// and encoded at the end of the row). For rgb48le the codes row is the output row itself.
struct RowScratch {
  std::vector<float> lin;
  std::vector<float> alpha;  // rgba64le only: coverage of the stack so far (lin is then premultiplied by it)
  std::vector<uint16_t> codes;
  std::vector<uint8_t> pass;
};

class Compositor {
 public:
  Compositor(int width, int height, int transfer, int format, int threads);
  ~Compositor();
  Compositor(const Compositor&) = delete;
  Compositor& operator=(const Compositor&) = delete;

  // Empty string on success, else what was wrong. Never throws, never reads out of bounds.
  std::string Compose(const std::vector<LayerDesc>& layers, uint8_t* out, size_t out_length);
  void Close();
  size_t OutputLength() const;

 private:
  void WorkerLoop(int index);
  void RunUnits(int thread, int begin, int end);
  void CompositeRow(int y, float* lin, uint16_t* codes, uint8_t* pass, float* alpha) const;
  void EncodeYuvRows(int y, const uint16_t* codes) const;
  std::string Validate(const std::vector<LayerDesc>& layers, size_t out_length) const;
  void Place(const LayerDesc& layer, Placement* p) const;
  void PlaceAffine(const LayerDesc& layer, Placement* p) const;

  const int width_, height_, transfer_, format_, threads_;
  // Y'CbCr matrix of the output (BT.2020 for PQ / HLG, BT.709 for sRGB): float Kr, Kb and the 16-bit luma weights.
  float kr_ = 0, kb_ = 0;
  uint16_t yk_[3] = {0, 0, 0};
  std::vector<RowScratch> scratch_;  // per thread: two rows
  std::vector<Placement> placements_;        // per layer, grow-only
  // Frame being composed (valid while a frame is in flight).
  const std::vector<LayerDesc>* layers_ = nullptr;
  uint8_t* out_ = nullptr;

  std::mutex compose_mutex_;  // one frame at a time per instance
  std::mutex mutex_;
  std::condition_variable start_cv_, done_cv_;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  std::vector<std::thread> pool_;
};

}  // namespace flm

#endif  // NATIVE_SRC_COMPOSITOR_H_
