/*
 * A stride-1 KxK convolution with exactly 3 output channels (the RGB output
 * convs of the style and SR networks: 9x9, 32 or 64 -> 3), NHWC, float32.
 *
 * Why: XNNPACK's convolution vectorises over output channels in groups of
 * 8, so with 3 outputs most SIMD lanes compute nothing (measured 8 GFLOP/s
 * against ~22 for wide layers). Here the SIMD lanes run over 4 input
 * channels instead, 4 neighbouring output pixels share every filter load,
 * and each output is a horizontal sum at the end.
 *
 * Layouts: x [B][H][W][C]; wt [KH][3][KW][C] (from rgb_output_filter, which
 * transposes HWIO [KH][KW][C][3]) so that, for one filter row, a pixel's
 * KW x C inputs and an output's KW x C weights are both contiguous (one long
 * inner loop); y [B][OH][OW][3],
 *   y[b,r,s,o] = sum x[b, r+ky-padTop, s+kx-padLeft, c] wt[ky,o,kx,c] (zero outside x).
 * Requires C % 4 == 0 (the caller checks). No data segments, no stack arrays.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

typedef v128_t f4;

static inline f4 ld(const float *p) { return wasm_v128_load(p); }
static inline f4 add(f4 a, f4 b) { return wasm_f32x4_add(a, b); }
static inline f4 mul(f4 a, f4 b) { return wasm_f32x4_mul(a, b); }
static inline float hsum(f4 v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) + (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

EXPORT(rgb_output_filter)
void rgb_output_filter(const float *w, int KH, int KW, int C, float *wt) {
  for (int ky = 0; ky < KH; ky++)
    for (int kx = 0; kx < KW; kx++)
      for (int c = 0; c < C; c++)
        for (int o = 0; o < 3; o++) wt[((ky * 3 + o) * KW + kx) * C + c] = w[((ky * KW + kx) * C + c) * 3 + o];
}

/* One output pixel, any position (taps outside x are skipped). */
static void one_pixel(const float *xb, int H, int W, int C, const float *wt, int KH, int KW, int r0, int s0, float *out) {
  f4 a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0;
  for (int ky = 0; ky < KH; ky++) {
    const int ir = r0 + ky;
    if (ir < 0 || ir >= H) continue;
    for (int kx = 0; kx < KW; kx++) {
      const int ic = s0 + kx;
      if (ic < 0 || ic >= W) continue;
      const float *xp = xb + (ir * W + ic) * C;
      const float *wp = wt + (ky * 3 * KW + kx) * C;
      for (int c = 0; c < C; c += 4) {
        const f4 v = ld(xp + c);
        a0 = add(a0, mul(v, ld(wp + c)));
        a1 = add(a1, mul(v, ld(wp + KW * C + c)));
        a2 = add(a2, mul(v, ld(wp + 2 * KW * C + c)));
      }
    }
  }
  out[0] = hsum(a0);
  out[1] = hsum(a1);
  out[2] = hsum(a2);
}

EXPORT(rgb_output_conv)
void rgb_output_conv(const float *x, int B, int H, int W, int C, const float *wt, int KH, int KW, float *y, int OH, int OW,
                     int padTop, int padLeft) {
  for (int b = 0; b < B; b++) {
    const float *xb = x + b * H * W * C;
    for (int r = 0; r < OH; r++) {
      const int r0 = r - padTop;
      float *yr = y + (b * OH + r) * OW * 3;
      int s = 0;
      for (; s < OW; s++) { /* left border: until a group of 4 fits inside x */
        const int s0 = s - padLeft;
        if (s0 >= 0) break;
        one_pixel(xb, H, W, C, wt, KH, KW, r0, s0, yr + s * 3);
      }
      for (; s + 4 <= OW && s - padLeft + 3 + KW <= W; s += 4) {
        const int s0 = s - padLeft;
        f4 a00 = wasm_f32x4_splat(0.0f), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
        f4 a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
        for (int ky = 0; ky < KH; ky++) {
          const int ir = r0 + ky;
          if (ir < 0 || ir >= H) continue;
          /* A filter row: pixel p reads xp[p C + j], output o weighs by w_o[j], j < KW C. */
          const float *xp = xb + (ir * W + s0) * C;
          const float *w0 = wt + ky * 3 * KW * C, *w1 = w0 + KW * C, *w2 = w1 + KW * C;
          const int row = KW * C;
          for (int j = 0; j < row; j += 4) {
            const f4 x0 = ld(xp + j), x1 = ld(xp + C + j), x2 = ld(xp + 2 * C + j), x3 = ld(xp + 3 * C + j);
            f4 w = ld(w0 + j);
            a00 = add(a00, mul(x0, w)); a10 = add(a10, mul(x1, w)); a20 = add(a20, mul(x2, w)); a30 = add(a30, mul(x3, w));
            w = ld(w1 + j);
            a01 = add(a01, mul(x0, w)); a11 = add(a11, mul(x1, w)); a21 = add(a21, mul(x2, w)); a31 = add(a31, mul(x3, w));
            w = ld(w2 + j);
            a02 = add(a02, mul(x0, w)); a12 = add(a12, mul(x1, w)); a22 = add(a22, mul(x2, w)); a32 = add(a32, mul(x3, w));
          }
        }
        float *out = yr + s * 3;
        out[0] = hsum(a00); out[1] = hsum(a01); out[2] = hsum(a02);
        out[3] = hsum(a10); out[4] = hsum(a11); out[5] = hsum(a12);
        out[6] = hsum(a20); out[7] = hsum(a21); out[8] = hsum(a22);
        out[9] = hsum(a30); out[10] = hsum(a31); out[11] = hsum(a32);
      }
      for (; s < OW; s++) one_pixel(xb, H, W, C, wt, KH, KW, r0, s - padLeft, yr + s * 3); /* right border */
    }
  }
}
