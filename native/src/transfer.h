// Copyright Frameloom contributors.
// BT.2100 / BT.2408 transfer functions (exact, double) and the lookup tables the compositor uses.
#ifndef NATIVE_SRC_TRANSFER_H_
#define NATIVE_SRC_TRANSFER_H_

#include <cstdint>
#include <cstring>
#include <vector>

namespace flm {

// Linear light is normalised so 1.0 = 203 nits (BT.2408 SDR reference white).
constexpr double kRefWhiteNits = 203.0;
constexpr double kHlgDisplayPeakNits = 1000.0;
constexpr double kHlgSystemGamma = 1.2;

// kSdr: SDR video, BT.1886 (gamma 2.4), BT.709. kSrgb: the sRGB curve (IEC 61966-2-1), BT.709: SDR output, and SDR video
// shown as a browser shows it (codes pass through unchanged into SDR output).
enum Transfer : int { kPq = 0, kHlg = 1, kSdr = 2, kSrgb = 3 };

double PqEncode(double nits);      // nits -> PQ signal 0..1
double PqDecode(double e);         // PQ signal -> nits
double HlgOetf(double scene);      // scene linear 0..1 -> signal
double HlgInverseOetf(double e);   // signal -> scene linear 0..1
double HlgEncode(double nits);     // display nits (1000-nit display, per-component OOTF) -> signal
double HlgDecode(double e);        // signal -> display nits
double SrgbToLinear(double v);     // sRGB EOTF, 0..1 -> 0..1
double SdrVideoToLinear(double v); // BT.1886 with Lb = 0: v^2.4
double SrgbEncode(double linear);  // sRGB OETF (inverse EOTF), clipped to 0..1

// BT.709 -> BT.2020 primaries (linear light), BT.2087 rows.
extern const float kBt709To2020[9];
// Its exact inverse (computed in double from the rounded BT.2087 matrix, then rounded to float).
extern const float kBt2020To709[9];
// The same two matrices in double (the reference implementation's maths).
extern const double kBt709To2020d[9];
const double* Bt2020To709d();

// Decode tables: one float (linear, 1.0 = 203 nits) per 16-bit code value.
// Encode tables: linear float -> 16-bit code, indexed by the float's top bits (2048 steps per octave).
constexpr int kEncMinExp = -30;  // below 2^-30 counts as black
constexpr int kEncMaxExp = 6;    // 2^6 = 64 > 10000 / 203
constexpr int kEncShift = 12;    // 23 - 11 mantissa bits kept
constexpr int32_t kEncBase = (127 + kEncMinExp) << 23;
constexpr int kEncSize = (kEncMaxExp - kEncMinExp) << (23 - kEncShift);

struct Tables {
  float srgb[256];
  // DOM pixel -> linear BT.2020 without a per-pixel matrix: dom[c][v] = {m[0+c], m[3+c], m[6+c]} * srgb[v]
  // (products rounded to float exactly as the per-pixel matrix would round them), so
  // r = dom[0][R][0] + dom[1][G][0] + dom[2][B][0] adds the same floats in the same order.
  float dom[3][256][4];
  // The same without the matrix (SDR output works in BT.709 linear): dom709[c][v] = srgb[v] in component c, 0 elsewhere.
  float dom709[3][256][4];
  std::vector<float> decode[4];     // indexed by Transfer, 65536 entries each
  std::vector<uint16_t> encode[4];  // indexed by Transfer (kPq, kHlg, kSrgb; kSdr is never an output), kEncSize each
};

// Built once per process (thread-safe static initialisation).
const Tables& GetTables();

inline uint16_t EncodeLinear(const uint16_t* table, float v) {
  int32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  int32_t d = bits - kEncBase;
  d = d < 0 ? 0 : d >> kEncShift;
  d = d >= kEncSize ? kEncSize - 1 : d;
  return table[d];
}

}  // namespace flm

#endif  // NATIVE_SRC_TRANSFER_H_
