/*
 * Sums over one contiguous run of axes, for tfjs's Mean and Sum on wasm
 * (src/runtime/kernels/reduce-sum.ts):
 *   y[o][i] = (sum over r of x[o][r][i]) / divisor,
 *   x [outer][R][inner] float32, y [outer][inner] float32.
 *
 * Why: tfjs-backend-wasm 4.22 adds float32 values one after another into a
 * float32 total (and its transposing path likewise), so the error grows with
 * the count. A perceptual loss is the mean of a million or more squared
 * feature differences, and the CPU backend sums in float64: the two backends
 * disagreed in the fourth digit (wasm/README.md). Here float32 SIMD lanes sum
 * blocks of at most BLOCK values each and the block sums are added in
 * float64, so the error is that of a BLOCK-term float32 sum whatever the
 * count, at memory speed.
 *
 * scratch: inner doubles, 8-byte aligned (inner >= 2 only). No data segments.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

typedef v128_t f4;

static inline f4 ld(const float *p) { return wasm_v128_load(p); }
static inline f4 add(f4 a, f4 b) { return wasm_f32x4_add(a, b); }

/* t[0..3] += the lanes of v, in float64. */
static inline void add_lanes(double *t, f4 v) {
  t[0] += wasm_f32x4_extract_lane(v, 0);
  t[1] += wasm_f32x4_extract_lane(v, 1);
  t[2] += wasm_f32x4_extract_lane(v, 2);
  t[3] += wasm_f32x4_extract_lane(v, 3);
}

enum { BLOCK = 64 };

/* The sum of x[0 .. R) (inner == 1): 16 lanes, each summing at most BLOCK values per block. */
static double contiguous_sum(const float *x, int R) {
  double total = 0.0;
  int r = 0;
  while (R - r >= 16) {
    const int full = r + (R - r) / 16 * 16;
    const int end = full - r > 16 * BLOCK ? r + 16 * BLOCK : full;
    f4 s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
    for (; r < end; r += 16) {
      s0 = add(s0, ld(x + r));
      s1 = add(s1, ld(x + r + 4));
      s2 = add(s2, ld(x + r + 8));
      s3 = add(s3, ld(x + r + 12));
    }
    const f4 s = add(add(s0, s1), add(s2, s3));
    total += ((double)wasm_f32x4_extract_lane(s, 0) + (double)wasm_f32x4_extract_lane(s, 1)) +
             ((double)wasm_f32x4_extract_lane(s, 2) + (double)wasm_f32x4_extract_lane(s, 3));
  }
  for (; r < R; r++) total += x[r];
  return total;
}

/* total[i] = sum over r of x[r][i] (inner >= 2): per block of rows, 32 (then 16, then 4) columns at a
   time in registers, reading each row's slice in order; leftover columns one by one. */
static void column_sums(const float *x, int R, int inner, double *total) {
  for (int i = 0; i < inner; i++) total[i] = 0.0;
  for (int r0 = 0; r0 < R; r0 += BLOCK) {
    const int r1 = R - r0 > BLOCK ? r0 + BLOCK : R;
    int i = 0;
    for (; i + 32 <= inner; i += 32) {
      f4 s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
      for (int r = r0; r < r1; r++) {
        const float *p = x + r * inner + i;
        s0 = add(s0, ld(p));
        s1 = add(s1, ld(p + 4));
        s2 = add(s2, ld(p + 8));
        s3 = add(s3, ld(p + 12));
        s4 = add(s4, ld(p + 16));
        s5 = add(s5, ld(p + 20));
        s6 = add(s6, ld(p + 24));
        s7 = add(s7, ld(p + 28));
      }
      add_lanes(total + i, s0);
      add_lanes(total + i + 4, s1);
      add_lanes(total + i + 8, s2);
      add_lanes(total + i + 12, s3);
      add_lanes(total + i + 16, s4);
      add_lanes(total + i + 20, s5);
      add_lanes(total + i + 24, s6);
      add_lanes(total + i + 28, s7);
    }
    for (; i + 16 <= inner; i += 16) {
      f4 s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
      for (int r = r0; r < r1; r++) {
        const float *p = x + r * inner + i;
        s0 = add(s0, ld(p));
        s1 = add(s1, ld(p + 4));
        s2 = add(s2, ld(p + 8));
        s3 = add(s3, ld(p + 12));
      }
      add_lanes(total + i, s0);
      add_lanes(total + i + 4, s1);
      add_lanes(total + i + 8, s2);
      add_lanes(total + i + 12, s3);
    }
    for (; i + 4 <= inner; i += 4) {
      f4 s0 = wasm_f32x4_splat(0.0f);
      for (int r = r0; r < r1; r++) s0 = add(s0, ld(x + r * inner + i));
      add_lanes(total + i, s0);
    }
    for (; i < inner; i++) {
      float s0 = 0.0f;
      for (int r = r0; r < r1; r++) s0 += x[r * inner + i];
      total[i] += s0;
    }
  }
}

EXPORT(sum_axis)
void sum_axis(const float *x, int outer, int R, int inner, double divisor, float *y, double *scratch) {
  for (int o = 0; o < outer; o++) {
    const float *xo = x + o * R * inner;
    float *yo = y + o * inner;
    if (inner == 1) {
      yo[0] = (float)(contiguous_sum(xo, R) / divisor);
    } else {
      column_sums(xo, R, inner, scratch);
      for (int i = 0; i < inner; i++) yo[i] = (float)(scratch[i] / divisor);
    }
  }
}
