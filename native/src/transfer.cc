// Copyright Frameloom contributors.
#include "transfer.h"

#include <algorithm>
#include <cmath>

namespace flm {

namespace {
constexpr double kM1 = 2610.0 / 16384.0;
constexpr double kM2 = 2523.0 / 4096.0 * 128.0;
constexpr double kC1 = 3424.0 / 4096.0;
constexpr double kC2 = 2413.0 / 4096.0 * 32.0;
constexpr double kC3 = 2392.0 / 4096.0 * 32.0;
constexpr double kHlgA = 0.17883277;
constexpr double kHlgB = 1.0 - 4.0 * kHlgA;
const double kHlgC = 0.5 - kHlgA * std::log(4.0 * kHlgA);

double Clamp01(double v) { return v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v); }
}  // namespace

const float kBt709To2020[9] = {0.6274f, 0.3293f, 0.0433f, 0.0691f, 0.9195f, 0.0114f, 0.0164f, 0.0880f, 0.8956f};

double PqEncode(double nits) {
  const double y = std::pow(Clamp01(nits / 10000.0), kM1);
  return std::pow((kC1 + kC2 * y) / (1.0 + kC3 * y), kM2);
}

double PqDecode(double e) {
  const double p = std::pow(Clamp01(e), 1.0 / kM2);
  const double num = std::max(p - kC1, 0.0);
  return 10000.0 * std::pow(num / (kC2 - kC3 * p), 1.0 / kM1);
}

double HlgOetf(double scene) {
  const double e = Clamp01(scene);
  return e <= 1.0 / 12.0 ? std::sqrt(3.0 * e) : kHlgA * std::log(12.0 * e - kHlgB) + kHlgC;
}

double HlgInverseOetf(double e) {
  const double v = Clamp01(e);
  return v <= 0.5 ? v * v / 3.0 : (std::exp((v - kHlgC) / kHlgA) + kHlgB) / 12.0;
}

double HlgEncode(double nits) {
  const double d = Clamp01(nits / kHlgDisplayPeakNits);
  return HlgOetf(std::pow(d, 1.0 / kHlgSystemGamma));
}

double HlgDecode(double e) { return kHlgDisplayPeakNits * std::pow(HlgInverseOetf(e), kHlgSystemGamma); }

double SrgbToLinear(double v) { return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); }

double SdrVideoToLinear(double v) { return std::pow(Clamp01(v), 2.4); }

const Tables& GetTables() {
  static const Tables tables = [] {
    Tables t;
    for (int i = 0; i < 256; ++i) t.srgb[i] = static_cast<float>(SrgbToLinear(i / 255.0));
    for (int c = 0; c < 3; ++c) {
      for (int i = 0; i < 256; ++i) {
        for (int k = 0; k < 3; ++k) t.dom[c][i][k] = kBt709To2020[3 * k + c] * t.srgb[i];
        t.dom[c][i][3] = 0.0f;
      }
    }
    for (auto& d : t.decode) d.resize(65536);
    for (int i = 0; i < 65536; ++i) {
      const double e = i / 65535.0;
      t.decode[kPq][i] = static_cast<float>(PqDecode(e) / kRefWhiteNits);
      t.decode[kHlg][i] = static_cast<float>(HlgDecode(e) / kRefWhiteNits);
      t.decode[kSdr][i] = static_cast<float>(SdrVideoToLinear(e));
    }
    for (auto& e : t.encode) e.resize(kEncSize);
    for (int i = 0; i < kEncSize; ++i) {
      // Value at the centre of the bucket; bucket 0 also takes everything below 2^-30 (black).
      int32_t bits = kEncBase + (i << kEncShift) + (1 << (kEncShift - 1));
      float v;
      std::memcpy(&v, &bits, sizeof v);
      const double nits = i == 0 ? 0.0 : static_cast<double>(v) * kRefWhiteNits;
      t.encode[kPq][i] = static_cast<uint16_t>(std::lround(PqEncode(nits) * 65535.0));
      t.encode[kHlg][i] = static_cast<uint16_t>(std::lround(HlgEncode(nits) * 65535.0));
    }
    return t;
  }();
  return tables;
}

}  // namespace flm
