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

const double kBt709To2020d[9] = {0.6274, 0.3293, 0.0433, 0.0691, 0.9195, 0.0114, 0.0164, 0.0880, 0.8956};
const float kBt709To2020[9] = {0.6274f, 0.3293f, 0.0433f, 0.0691f, 0.9195f, 0.0114f, 0.0164f, 0.0880f, 0.8956f};

const double* Bt2020To709d() {
  // Adjugate / determinant, the same formula (and order) as transfer.ts.
  static const struct Inv {
    double m[9];
    Inv() {
      const double* a = kBt709To2020d;
      const double c00 = a[4] * a[8] - a[5] * a[7], c01 = a[5] * a[6] - a[3] * a[8], c02 = a[3] * a[7] - a[4] * a[6];
      const double det = a[0] * c00 + a[1] * c01 + a[2] * c02;
      m[0] = c00 / det;
      m[1] = (a[2] * a[7] - a[1] * a[8]) / det;
      m[2] = (a[1] * a[5] - a[2] * a[4]) / det;
      m[3] = c01 / det;
      m[4] = (a[0] * a[8] - a[2] * a[6]) / det;
      m[5] = (a[2] * a[3] - a[0] * a[5]) / det;
      m[6] = c02 / det;
      m[7] = (a[1] * a[6] - a[0] * a[7]) / det;
      m[8] = (a[0] * a[4] - a[1] * a[3]) / det;
    }
  } inv;
  return inv.m;
}

const float kBt2020To709[9] = {
    static_cast<float>(Bt2020To709d()[0]), static_cast<float>(Bt2020To709d()[1]), static_cast<float>(Bt2020To709d()[2]),
    static_cast<float>(Bt2020To709d()[3]), static_cast<float>(Bt2020To709d()[4]), static_cast<float>(Bt2020To709d()[5]),
    static_cast<float>(Bt2020To709d()[6]), static_cast<float>(Bt2020To709d()[7]), static_cast<float>(Bt2020To709d()[8])};

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

double SrgbEncode(double linear) {
  const double l = Clamp01(linear);
  return l <= 0.0031308 ? 12.92 * l : 1.055 * std::pow(l, 1.0 / 2.4) - 0.055;
}

const Tables& GetTables() {
  static const Tables tables = [] {
    Tables t;
    for (int i = 0; i < 256; ++i) t.srgb[i] = static_cast<float>(SrgbToLinear(i / 255.0));
    for (int c = 0; c < 3; ++c) {
      for (int i = 0; i < 256; ++i) {
        for (int k = 0; k < 3; ++k) t.dom[c][i][k] = kBt709To2020[3 * k + c] * t.srgb[i];
        t.dom[c][i][3] = 0.0f;
        for (int k = 0; k < 4; ++k) t.dom709[c][i][k] = k == c ? t.srgb[i] : 0.0f;
      }
    }
    for (auto& d : t.decode) d.resize(65536);
    for (int i = 0; i < 65536; ++i) {
      const double e = i / 65535.0;
      t.decode[kPq][i] = static_cast<float>(PqDecode(e) / kRefWhiteNits);
      t.decode[kHlg][i] = static_cast<float>(HlgDecode(e) / kRefWhiteNits);
      t.decode[kSdr][i] = static_cast<float>(SdrVideoToLinear(e));
      t.decode[kSrgb][i] = static_cast<float>(SrgbToLinear(e));
    }
    for (int k : {kPq, kHlg, kSrgb}) t.encode[k].resize(kEncSize);
    for (int i = 0; i < kEncSize; ++i) {
      // Value at the centre of the bucket; bucket 0 also takes everything below 2^-30 (black).
      int32_t bits = kEncBase + (i << kEncShift) + (1 << (kEncShift - 1));
      float v;
      std::memcpy(&v, &bits, sizeof v);
      const double lin = i == 0 ? 0.0 : static_cast<double>(v);
      const double nits = lin * kRefWhiteNits;
      t.encode[kPq][i] = static_cast<uint16_t>(std::lround(PqEncode(nits) * 65535.0));
      t.encode[kHlg][i] = static_cast<uint16_t>(std::lround(HlgEncode(nits) * 65535.0));
      t.encode[kSrgb][i] = static_cast<uint16_t>(std::lround(SrgbEncode(lin) * 65535.0));
    }
    return t;
  }();
  return tables;
}

}  // namespace flm
