// Transcribed from ggml's reference code (see gguf_quants.h for the version). Variable names
// follow ggml's so that the two can be read side by side; the arithmetic order is ggml's.
#include "core/gguf/gguf_quants.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cmath>
#include <cstring>

namespace tb::gguf {

namespace {

constexpr float kGroupMaxEps = 1e-15f;  // GROUP_MAX_EPS

uint32_t f2u(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}
float u2f(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// nearest_int: round to nearest even through the float32 mantissa (|fval| <= 4194303).
inline int nearest_int(float fval) {
    float val = fval + 12582912.f;
    int i;
    std::memcpy(&i, &val, sizeof(int));
    return (i & 0x007fffff) - 0x00400000;
}

void put_fp16(uint8_t* p, float f) {
    const uint16_t h = fp32_to_fp16(f);
    std::memcpy(p, &h, 2);
}
float get_fp16(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return fp16_to_fp32(h);
}

// make_qx_quants with qw == NULL (Q6_K's call: rmse_type 1, weights x^2).
float make_qx_quants(int n, int nmax, const float* x, int8_t* L, int rmse_type) {
    float max = 0;
    float amax = 0;
    for (int i = 0; i < n; ++i) {
        float ax = std::fabs(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < kGroupMaxEps) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        return 0.f;
    }
    float iscale = -nmax / max;
    if (rmse_type == 0) {
        for (int i = 0; i < n; ++i) {
            int l = nearest_int(iscale * x[i]);
            L[i] = nmax + std::max(-nmax, std::min(nmax - 1, l));
        }
        return 1 / iscale;
    }
    bool return_early = false;
    if (rmse_type < 0) {
        rmse_type = -rmse_type;
        return_early = true;
    }
    auto weight = [&](int i) -> float {
        return rmse_type == 1   ? x[i] * x[i]
               : rmse_type == 2 ? 1
               : rmse_type == 3 ? std::fabs(x[i])
                                : std::sqrt(std::fabs(x[i]));
    };
    float sumlx = 0;
    float suml2 = 0;
    for (int i = 0; i < n; ++i) {
        int l = nearest_int(iscale * x[i]);
        l = std::max(-nmax, std::min(nmax - 1, l));
        L[i] = l + nmax;
        float w = weight(i);
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    float scale = suml2 ? sumlx / suml2 : 0.0f;
    if (return_early) return suml2 > 0 ? 0.5f * (scale + 1 / iscale) : 1 / iscale;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; ++is) {
        if (is == 0) continue;
        iscale = -(nmax + 0.1f * is) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearest_int(iscale * x[i]);
            l = std::max(-nmax, std::min(nmax - 1, l));
            float w = weight(i);
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; ++i) {
                int l = nearest_int(iscale * x[i]);
                L[i] = nmax + std::max(-nmax, std::min(nmax - 1, l));
            }
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                       float* the_min, uint8_t* Laux, float rmin, float rdelta, int nstep,
                       bool use_mad) {
    float min = x[0];
    float max = x[0];
    float sum_w = weights[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; ++i) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        float w = weights[i];
        sum_w += w;
        sum_x += w * x[i];
    }
    if (min > 0) min = 0;
    if (max == min) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        *the_min = -min;
        return 0.f;
    }
    float iscale = nmax / (max - min);
    float scale = 1 / iscale;
    float best_error = 0;
    for (int i = 0; i < n; ++i) {
        int l = nearest_int(iscale * (x[i] - min));
        L[i] = std::max(0, std::min(nmax, l));
        float diff = scale * L[i] + min - x[i];
        diff = use_mad ? std::fabs(diff) : diff * diff;
        float w = weights[i];
        best_error += w * diff;
    }
    if (nstep < 1) {
        *the_min = -min;
        return scale;
    }
    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + rdelta * is + nmax) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearest_int(iscale * (x[i] - min));
            l = std::max(0, std::min(nmax, l));
            Laux[i] = l;
            float w = weights[i];
            sum_l += w * l;
            sum_l2 += w * l * l;
            sum_xl += w * l * x[i];
        }
        float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float cur_error = 0;
            for (int i = 0; i < n; ++i) {
                float diff = this_scale * Laux[i] + this_min - x[i];
                diff = use_mad ? std::fabs(diff) : diff * diff;
                float w = weights[i];
                cur_error += w * diff;
            }
            if (cur_error < best_error) {
                for (int i = 0; i < n; ++i) L[i] = Laux[i];
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *the_min = -min;
    return scale;
}

inline void get_scale_min_k4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4);
    }
}

// Block layouts (byte offsets inside one block).
constexpr int kQ4K_d = 0, kQ4K_dmin = 2, kQ4K_scales = 4, kQ4K_qs = 16;     // 144
constexpr int kQ6K_ql = 0, kQ6K_qh = 128, kQ6K_scales = 192, kQ6K_d = 208;  // 210
constexpr int kQ5_0_d = 0, kQ5_0_qh = 2, kQ5_0_qs = 6;                      // 22
constexpr int kQ8_0_d = 0, kQ8_0_qs = 2;                                    // 34

}  // namespace

bool type_known(uint32_t t) {
    switch (static_cast<GgmlType>(t)) {
        case GgmlType::F32:
        case GgmlType::F16:
        case GgmlType::Q5_0:
        case GgmlType::Q8_0:
        case GgmlType::Q4_K:
        case GgmlType::Q6_K:
        case GgmlType::BF16:
            return true;
    }
    return false;
}

const char* type_name(GgmlType t) {
    switch (t) {
        case GgmlType::F32:
            return "F32";
        case GgmlType::F16:
            return "F16";
        case GgmlType::Q5_0:
            return "Q5_0";
        case GgmlType::Q8_0:
            return "Q8_0";
        case GgmlType::Q4_K:
            return "Q4_K";
        case GgmlType::Q6_K:
            return "Q6_K";
        case GgmlType::BF16:
            return "BF16";
    }
    return "?";
}

int64_t block_size(GgmlType t) {
    switch (t) {
        case GgmlType::F32:
        case GgmlType::F16:
        case GgmlType::BF16:
            return 1;
        case GgmlType::Q5_0:
            return kQK5_0;
        case GgmlType::Q8_0:
            return kQK8_0;
        case GgmlType::Q4_K:
        case GgmlType::Q6_K:
            return kQK_K;
    }
    return 0;
}

int64_t type_size(GgmlType t) {
    switch (t) {
        case GgmlType::F32:
            return 4;
        case GgmlType::F16:
        case GgmlType::BF16:
            return 2;
        case GgmlType::Q5_0:
            return 22;
        case GgmlType::Q8_0:
            return 34;
        case GgmlType::Q4_K:
            return 144;
        case GgmlType::Q6_K:
            return 210;
    }
    return 0;
}

int64_t row_bytes(GgmlType t, int64_t n) {
    const int64_t bs = block_size(t);
    if (bs <= 0 || n < 0 || n % bs != 0) return -1;
    if (n / bs > INT64_MAX / type_size(t)) return -1;  // absurd sizes (a corrupt file)
    return n / bs * type_size(t);
}

Result<GgmlType> parse_type(const std::string& name) {
    std::string s;
    for (char c : name) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "f32") return GgmlType::F32;
    if (s == "f16") return GgmlType::F16;
    if (s == "bf16") return GgmlType::BF16;
    if (s == "q8_0") return GgmlType::Q8_0;
    if (s == "q5_0") return GgmlType::Q5_0;
    if (s == "q4_k") return GgmlType::Q4_K;
    if (s == "q6_k") return GgmlType::Q6_K;
    return Error{"unknown tensor type '" + name + "' (f32, f16, bf16, q8_0, q5_0, q4_k, q6_k)"};
}

// ggml_compute_fp32_to_fp16 (the FP16 library's branch-free round-to-nearest-even).
uint16_t fp32_to_fp16(float f) {
    const float scale_to_inf = u2f(0x77800000);   // 0x1.0p+112f
    const float scale_to_zero = u2f(0x08800000);  // 0x1.0p-110f
    float base = (std::fabs(f) * scale_to_inf) * scale_to_zero;
    const uint32_t w = f2u(f);
    const uint32_t shl1_w = w + w;
    const uint32_t sign = w & UINT32_C(0x80000000);
    uint32_t bias = shl1_w & UINT32_C(0xFF000000);
    if (bias < UINT32_C(0x71000000)) bias = UINT32_C(0x71000000);
    base = u2f((bias >> 1) + UINT32_C(0x07800000)) + base;
    const uint32_t bits = f2u(base);
    const uint32_t exp_bits = (bits >> 13) & UINT32_C(0x00007C00);
    const uint32_t mantissa_bits = bits & UINT32_C(0x00000FFF);
    const uint32_t nonsign = exp_bits + mantissa_bits;
    return static_cast<uint16_t>((sign >> 16) |
                                 (shl1_w > UINT32_C(0xFF000000) ? UINT16_C(0x7E00) : nonsign));
}

float fp16_to_fp32(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
    const uint32_t exp = (h >> 10) & 0x1F;
    const uint32_t man = h & 0x3FF;
    if (exp == 0) {
        // zero or subnormal: man * 2^-24, exact in float32
        const float v = static_cast<float>(man) * u2f(0x33800000);  // 2^-24
        return sign ? -v : v;
    }
    if (exp == 31) return u2f(sign | 0x7F800000 | (man << 13));
    return u2f(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t fp32_to_bf16(float s) {
    const uint32_t u = f2u(s);
    if ((u & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((u >> 16) | 64);
    return static_cast<uint16_t>((u + (0x7fff + ((u >> 16) & 1))) >> 16);
}

float bf16_to_fp32(uint16_t h) { return u2f(static_cast<uint32_t>(h) << 16); }

void quantize_row_q5_0_ref(const float* x, uint8_t* y, int64_t k) {
    const int qk = kQK5_0;
    const int64_t nb = k / qk;
    for (int64_t i = 0; i < nb; i++, y += 22) {
        float amax = 0.0f;
        float max = 0.0f;
        for (int j = 0; j < qk; j++) {
            const float v = x[i * qk + j];
            if (amax < std::fabs(v)) {
                amax = std::fabs(v);
                max = v;
            }
        }
        const float d = max / -16;
        const float id = d ? 1.0f / d : 0.0f;
        put_fp16(y + kQ5_0_d, d);
        uint32_t qh = 0;
        for (int j = 0; j < qk / 2; ++j) {
            const float x0 = x[i * qk + 0 + j] * id;
            const float x1 = x[i * qk + qk / 2 + j] * id;
            const uint8_t xi0 = std::min<int>(31, static_cast<int8_t>(x0 + 16.5f));
            const uint8_t xi1 = std::min<int>(31, static_cast<int8_t>(x1 + 16.5f));
            y[kQ5_0_qs + j] = (xi0 & 0x0F) | ((xi1 & 0x0F) << 4);
            qh |= ((xi0 & 0x10u) >> 4) << (j + 0);
            qh |= ((xi1 & 0x10u) >> 4) << (j + qk / 2);
        }
        std::memcpy(y + kQ5_0_qh, &qh, 4);
    }
}

void quantize_row_q4_K_ref(const float* x, uint8_t* yb, int64_t k) {
    const int64_t nb = k / kQK_K;
    uint8_t L[kQK_K];
    uint8_t Laux[32];
    float weights[32];
    float mins[kQK_K / 32];
    float scales[kQK_K / 32];
    for (int64_t i = 0; i < nb; i++, yb += 144) {
        uint8_t* y_scales = yb + kQ4K_scales;
        float max_scale = 0;
        float max_min = 0;
        for (int j = 0; j < kQK_K / 32; ++j) {
            float sum_x2 = 0;
            for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
            float av_x = std::sqrt(sum_x2 / 32);
            for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
            scales[j] = make_qkx2_quants(32, 15, x + 32 * j, weights, L + 32 * j, &mins[j], Laux,
                                         -1.f, 0.1f, 20, false);
            float scale = scales[j];
            if (scale > max_scale) max_scale = scale;
            float min = mins[j];
            if (min > max_min) max_min = min;
        }
        float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
        float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
        for (int j = 0; j < kQK_K / 32; ++j) {
            uint8_t ls = static_cast<uint8_t>(nearest_int(inv_scale * scales[j]));
            uint8_t lm = static_cast<uint8_t>(nearest_int(inv_min * mins[j]));
            ls = std::min<uint8_t>(63, ls);
            lm = std::min<uint8_t>(63, lm);
            if (j < 4) {
                y_scales[j] = ls;
                y_scales[j + 4] = lm;
            } else {
                y_scales[j + 4] = (ls & 0xF) | ((lm & 0xF) << 4);
                y_scales[j - 4] |= ((ls >> 4) << 6);
                y_scales[j - 0] |= ((lm >> 4) << 6);
            }
        }
        put_fp16(yb + kQ4K_d, max_scale / 63.f);
        put_fp16(yb + kQ4K_dmin, max_min / 63.f);
        uint8_t sc, m;
        for (int j = 0; j < kQK_K / 32; ++j) {
            get_scale_min_k4(j, y_scales, &sc, &m);
            const float d = get_fp16(yb + kQ4K_d) * sc;
            if (!d) continue;
            const float dm = get_fp16(yb + kQ4K_dmin) * m;
            for (int ii = 0; ii < 32; ++ii) {
                int l = nearest_int((x[32 * j + ii] + dm) / d);
                l = std::max(0, std::min(15, l));
                L[32 * j + ii] = l;
            }
        }
        uint8_t* q = yb + kQ4K_qs;
        for (int j = 0; j < kQK_K; j += 64) {
            for (int l = 0; l < 32; ++l) q[l] = L[j + l] | (L[j + l + 32] << 4);
            q += 32;
        }
        x += kQK_K;
    }
}

void quantize_row_q6_K_ref(const float* x, uint8_t* yb, int64_t k) {
    const int64_t nb = k / kQK_K;
    int8_t L[kQK_K];
    float scales[kQK_K / 16];
    for (int64_t i = 0; i < nb; i++, yb += 210) {
        int8_t* y_scales = reinterpret_cast<int8_t*>(yb + kQ6K_scales);
        float max_scale = 0;
        float max_abs_scale = 0;
        for (int ib = 0; ib < kQK_K / 16; ++ib) {
            const float scale = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib, 1);
            scales[ib] = scale;
            const float abs_scale = std::fabs(scale);
            if (abs_scale > max_abs_scale) {
                max_abs_scale = abs_scale;
                max_scale = scale;
            }
        }
        if (max_abs_scale < kGroupMaxEps) {
            std::memset(yb, 0, 210);
            put_fp16(yb + kQ6K_d, 0.f);
            x += kQK_K;
            continue;
        }
        float iscale = -128.f / max_scale;
        put_fp16(yb + kQ6K_d, 1 / iscale);
        for (int ib = 0; ib < kQK_K / 16; ++ib) {
            y_scales[ib] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[ib])));
        }
        for (int j = 0; j < kQK_K / 16; ++j) {
            float d = get_fp16(yb + kQ6K_d) * y_scales[j];
            if (!d) continue;
            for (int ii = 0; ii < 16; ++ii) {
                int l = nearest_int(x[16 * j + ii] / d);
                l = std::max(-32, std::min(31, l));
                L[16 * j + ii] = l + 32;
            }
        }
        uint8_t* ql = yb + kQ6K_ql;
        uint8_t* qh = yb + kQ6K_qh;
        for (int j = 0; j < kQK_K; j += 128) {
            for (int l = 0; l < 32; ++l) {
                const uint8_t q1 = L[j + l + 0] & 0xF;
                const uint8_t q2 = L[j + l + 32] & 0xF;
                const uint8_t q3 = L[j + l + 64] & 0xF;
                const uint8_t q4 = L[j + l + 96] & 0xF;
                ql[l + 0] = q1 | (q3 << 4);
                ql[l + 32] = q2 | (q4 << 4);
                qh[l] = (L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) |
                        ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6);
            }
            ql += 64;
            qh += 32;
        }
        x += kQK_K;
    }
}

Status quantize_row(GgmlType t, const float* x, int64_t n, uint8_t* out) {
    if (row_bytes(t, n) < 0) {
        return Error{std::string(type_name(t)) + ": row of " + std::to_string(n) +
                     " values is not a multiple of the block size " +
                     std::to_string(block_size(t))};
    }
    switch (t) {
        case GgmlType::F32:
            std::memcpy(out, x, static_cast<size_t>(n) * 4);
            return {};
        case GgmlType::F16:
            for (int64_t i = 0; i < n; ++i) {
                const uint16_t h = fp32_to_fp16(x[i]);
                std::memcpy(out + 2 * i, &h, 2);
            }
            return {};
        case GgmlType::BF16:
            for (int64_t i = 0; i < n; ++i) {
                const uint16_t h = fp32_to_bf16(x[i]);
                std::memcpy(out + 2 * i, &h, 2);
            }
            return {};
        case GgmlType::Q5_0:
            quantize_row_q5_0_ref(x, out, n);
            return {};
        case GgmlType::Q4_K:
            quantize_row_q4_K_ref(x, out, n);
            return {};
        case GgmlType::Q6_K:
            quantize_row_q6_K_ref(x, out, n);
            return {};
        case GgmlType::Q8_0:
            return Error{"Q8_0: quantise through gguf_export (core/quant's rule), not here"};
    }
    return Error{"unknown tensor type"};
}

Status dequantize_row(GgmlType t, const uint8_t* in, int64_t n, float* y) {
    if (row_bytes(t, n) < 0) {
        return Error{std::string(type_name(t)) + ": " + std::to_string(n) +
                     " values is not a multiple of the block size " +
                     std::to_string(block_size(t))};
    }
    switch (t) {
        case GgmlType::F32:
            std::memcpy(y, in, static_cast<size_t>(n) * 4);
            return {};
        case GgmlType::F16:
        case GgmlType::BF16:
            for (int64_t i = 0; i < n; ++i) {
                uint16_t h;
                std::memcpy(&h, in + 2 * i, 2);
                y[i] = t == GgmlType::F16 ? fp16_to_fp32(h) : bf16_to_fp32(h);
            }
            return {};
        case GgmlType::Q8_0:
            for (int64_t i = 0; i < n / kQK8_0; ++i, in += 34) {
                const float d = get_fp16(in + kQ8_0_d);
                for (int j = 0; j < kQK8_0; ++j) {
                    y[i * kQK8_0 + j] = static_cast<int8_t>(in[kQ8_0_qs + j]) * d;
                }
            }
            return {};
        case GgmlType::Q5_0:
            for (int64_t i = 0; i < n / kQK5_0; ++i, in += 22) {
                const float d = get_fp16(in + kQ5_0_d);
                uint32_t qh;
                std::memcpy(&qh, in + kQ5_0_qh, 4);
                for (int j = 0; j < kQK5_0 / 2; ++j) {
                    const uint8_t xh_0 = ((qh >> (j + 0)) << 4) & 0x10;
                    const uint8_t xh_1 = ((qh >> (j + 12))) & 0x10;
                    const int32_t x0 = ((in[kQ5_0_qs + j] & 0x0F) | xh_0) - 16;
                    const int32_t x1 = ((in[kQ5_0_qs + j] >> 4) | xh_1) - 16;
                    y[i * kQK5_0 + j + 0] = x0 * d;
                    y[i * kQK5_0 + j + kQK5_0 / 2] = x1 * d;
                }
            }
            return {};
        case GgmlType::Q4_K:
            for (int64_t i = 0; i < n / kQK_K; ++i, in += 144) {
                const uint8_t* q = in + kQ4K_qs;
                const float d = get_fp16(in + kQ4K_d);
                const float min = get_fp16(in + kQ4K_dmin);
                int is = 0;
                uint8_t sc, m;
                for (int j = 0; j < kQK_K; j += 64) {
                    get_scale_min_k4(is + 0, in + kQ4K_scales, &sc, &m);
                    const float d1 = d * sc;
                    const float m1 = min * m;
                    get_scale_min_k4(is + 1, in + kQ4K_scales, &sc, &m);
                    const float d2 = d * sc;
                    const float m2 = min * m;
                    for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
                    for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
                    q += 32;
                    is += 2;
                }
            }
            return {};
        case GgmlType::Q6_K:
            for (int64_t i = 0; i < n / kQK_K; ++i, in += 210) {
                const float d = get_fp16(in + kQ6K_d);
                const uint8_t* ql = in + kQ6K_ql;
                const uint8_t* qh = in + kQ6K_qh;
                const int8_t* sc = reinterpret_cast<const int8_t*>(in + kQ6K_scales);
                for (int nn = 0; nn < kQK_K; nn += 128) {
                    for (int l = 0; l < 32; ++l) {
                        int is = l / 16;
                        const int8_t q1 =
                            static_cast<int8_t>((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                        const int8_t q2 =
                            static_cast<int8_t>((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) -
                            32;
                        const int8_t q3 =
                            static_cast<int8_t>((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                        const int8_t q4 =
                            static_cast<int8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                        y[l + 0] = d * sc[is + 0] * q1;
                        y[l + 32] = d * sc[is + 2] * q2;
                        y[l + 64] = d * sc[is + 4] * q3;
                        y[l + 96] = d * sc[is + 6] * q4;
                    }
                    y += 128;
                    ql += 64;
                    qh += 32;
                    sc += 8;
                }
            }
            return {};
    }
    return Error{"unknown tensor type"};
}

}  // namespace tb::gguf
