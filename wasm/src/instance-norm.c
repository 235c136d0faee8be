/*
 * Instance normalisation for inference, in one kernel: per image and channel
 * statistics over H x W (unless given), then y = (x - mean) * gamma /
 * sqrt(var + eps) + beta, optionally followed by ReLU (SPEC section 4).
 *
 * Why: composed from tfjs ops this is a mean, a subtraction, a square, a
 * second mean, a multiplication, an addition and a ReLU: seven passes over
 * the map, five of them writing a full-size temporary. Here it is two reading
 * passes (mean, then the variance of x - mean: the two-pass variance that
 * tf.moments computes, exact for large means) and one writing pass.
 * Sums run in float32 over blocks of 64 pixels, then in float64 across blocks.
 *
 * Layouts: x, y [B][HW][C]; gamma, beta [C]; mean, variance: NULL (compute
 * per image) or [C] (given: the same statistics for every image, as tiles of
 * one image share them). scratch: 2 C floats + 2 C doubles, 8-byte aligned.
 * Requires C % 4 == 0 (the caller checks). No data segments.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

typedef v128_t f4;

static inline f4 ld(const float *p) { return wasm_v128_load(p); }
static inline void st(float *p, f4 v) { wasm_v128_store(p, v); }

enum { BLOCK = 64 };

/* total[c] = sum over p of (x[p][c] - shift[c])^power, power 1 or 2. */
static void channel_sums(const float *x, int HW, int C, const float *shift, int power, float *block, double *total) {
  for (int c = 0; c < C; c++) total[c] = 0.0;
  for (int p0 = 0; p0 < HW; p0 += BLOCK) {
    const int p1 = p0 + BLOCK < HW ? p0 + BLOCK : HW;
    for (int c = 0; c < C; c += 4) st(block + c, wasm_f32x4_splat(0.0f));
    for (int p = p0; p < p1; p++) {
      const float *row = x + p * C;
      for (int c = 0; c < C; c += 4) {
        f4 v = ld(row + c);
        if (shift) v = wasm_f32x4_sub(v, ld(shift + c));
        if (power == 2) v = wasm_f32x4_mul(v, v);
        st(block + c, wasm_f32x4_add(ld(block + c), v));
      }
    }
    for (int c = 0; c < C; c++) total[c] += block[c];
  }
}

EXPORT(instance_norm)
void instance_norm(const float *x, int B, int HW, int C, const float *gamma, const float *beta, const float *mean, const float *variance,
                   float eps, int relu, float *y, float *scratch) {
  float *m = scratch, *scale = scratch + C;
  double *total = (double *)(scratch + 2 * C);
  const f4 zero = wasm_f32x4_splat(0.0f);
  for (int b = 0; b < B; b++) {
    const float *xb = x + b * HW * C;
    float *yb = y + b * HW * C;
    if (mean) {
      for (int c = 0; c < C; c++) {
        m[c] = mean[c];
        scale[c] = gamma[c] / __builtin_sqrtf(variance[c] + eps);
      }
    } else {
      channel_sums(xb, HW, C, 0, 1, scale, total);
      for (int c = 0; c < C; c++) m[c] = (float)(total[c] / HW);
      channel_sums(xb, HW, C, m, 2, scale, total);
      for (int c = 0; c < C; c++) scale[c] = gamma[c] / __builtin_sqrtf((float)(total[c] / HW) + eps);
    }
    for (int p = 0; p < HW; p++) {
      const float *row = xb + p * C;
      float *out = yb + p * C;
      for (int c = 0; c < C; c += 4) {
        f4 v = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sub(ld(row + c), ld(m + c)), ld(scale + c)), ld(beta + c));
        if (relu) v = wasm_f32x4_max(v, zero);
        st(out + c, v);
      }
    }
  }
}
