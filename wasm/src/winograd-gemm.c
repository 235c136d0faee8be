/*
 * The matrix products of the Winograd convolutions (winograd-f43.c): for each
 * transformed plane k, M_k [tiles x O] = V_k [tiles x C] . U_k [C x O], with U
 * stored as 8-column panels [O/8][C][8] so the inner loop reads 32 contiguous
 * bytes per step. Micro-kernel: 6 rows x 8 columns in 12 SIMD accumulators,
 * the A operand splatted from memory (wasm has no FMA: multiply, then add).
 * Requires O % 8 == 0.
 */
#include <wasm_simd128.h>

typedef v128_t f4;

static inline f4 ld(const float *p) { return wasm_v128_load(p); }
static inline void st(float *p, f4 v) { wasm_v128_store(p, v); }
static inline f4 add(f4 a, f4 b) { return wasm_f32x4_add(a, b); }
static inline f4 mul(f4 a, f4 b) { return wasm_f32x4_mul(a, b); }

void winograd_gemm_panels(const float *A, const float *U, float *Mo, int nt, int C, int O) {
  for (int jb = 0; jb < O / 8; jb++) {
    const float *panel = U + jb * C * 8;
    int i = 0;
    for (; i + 6 <= nt; i += 6) {
      const float *a0 = A + i * C, *a1 = a0 + C, *a2 = a1 + C, *a3 = a2 + C, *a4 = a3 + C, *a5 = a4 + C;
      f4 c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
      f4 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
      const float *b = panel;
      for (int k = 0; k < C; k++, b += 8) {
        const f4 b0 = ld(b), b1 = ld(b + 4);
        f4 a;
        a = wasm_v128_load32_splat(a0 + k); c00 = add(c00, mul(a, b0)); c01 = add(c01, mul(a, b1));
        a = wasm_v128_load32_splat(a1 + k); c10 = add(c10, mul(a, b0)); c11 = add(c11, mul(a, b1));
        a = wasm_v128_load32_splat(a2 + k); c20 = add(c20, mul(a, b0)); c21 = add(c21, mul(a, b1));
        a = wasm_v128_load32_splat(a3 + k); c30 = add(c30, mul(a, b0)); c31 = add(c31, mul(a, b1));
        a = wasm_v128_load32_splat(a4 + k); c40 = add(c40, mul(a, b0)); c41 = add(c41, mul(a, b1));
        a = wasm_v128_load32_splat(a5 + k); c50 = add(c50, mul(a, b0)); c51 = add(c51, mul(a, b1));
      }
      float *m = Mo + i * O + jb * 8;
      st(m, c00); st(m + 4, c01); m += O;
      st(m, c10); st(m + 4, c11); m += O;
      st(m, c20); st(m + 4, c21); m += O;
      st(m, c30); st(m + 4, c31); m += O;
      st(m, c40); st(m + 4, c41); m += O;
      st(m, c50); st(m + 4, c51);
    }
    for (; i < nt; i++) {
      const float *a0 = A + i * C;
      f4 c00 = wasm_f32x4_splat(0.0f), c01 = c00;
      const float *b = panel;
      for (int k = 0; k < C; k++, b += 8) {
        const f4 a = wasm_v128_load32_splat(a0 + k);
        c00 = add(c00, mul(a, ld(b)));
        c01 = add(c01, mul(a, ld(b + 4)));
      }
      float *m = Mo + i * O + jb * 8;
      st(m, c00); st(m + 4, c01);
    }
  }
}
