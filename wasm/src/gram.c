/*
 * y = a^T b over a long shared axis, for tfjs's BatchMatMul with transposeA
 * (src/runtime/kernels/batch-mat-mul.ts): the Gram matrices of the style
 * loss, F^T F with F the [pixels x channels] feature map.
 *   a [B][K][M], b [B][K][N], y [B][M][N], y[t][i][j] = sum over p of a[t][p][i] b[t][p][j].
 *
 * Why: a Gram matrix sums over every pixel of the map (K = H W), and
 * XNNPACK's product keeps one float32 accumulator for the whole sum, so on
 * photo-sized maps the entries lost several digits and a style loss (the
 * squared difference of two Gram matrices, which cancels) disagreed with
 * the CPU backend in the third (wasm/README.md, "Precision"). Here the shared
 * axis is cut into blocks of KBLOCK: each block is one product on the SIMD
 * micro-kernel of the Winograd convolution (winograd-gemm.c), and the block
 * products are added in float64.
 *
 * scratch: M N doubles, then M KBLOCK + KBLOCK N + M N floats (8-byte
 * aligned). Requires N % 8 == 0 (the caller checks). No data segments.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

enum { KBLOCK = 256 };

void winograd_gemm_panels(const float *A, const float *U, float *Mo, int nt, int C, int O);

EXPORT(gram_at_b)
void gram_at_b(const float *a, const float *b, int B, int K, int M, int N, float *y, double *scratch) {
  double *total = scratch;
  float *at = (float *)(scratch + M * N); /* [M][kb]: a's block, transposed */
  float *panels = at + M * KBLOCK;        /* [N/8][kb][8]: b's block in 8-column panels */
  float *block = panels + KBLOCK * N;     /* [M][N]: one block's product */
  for (int t = 0; t < B; t++) {
    const float *ab = a + t * K * M, *bb = b + t * K * N;
    for (int k = 0; k < M * N; k++) total[k] = 0.0;
    for (int p0 = 0; p0 < K; p0 += KBLOCK) {
      const int kb = K - p0 < KBLOCK ? K - p0 : KBLOCK;
      for (int p = 0; p < kb; p++) {
        const float *row = ab + (p0 + p) * M;
        for (int i = 0; i < M; i++) at[i * kb + p] = row[i];
      }
      for (int p = 0; p < kb; p++) {
        const float *row = bb + (p0 + p) * N;
        for (int j = 0; j < N; j += 8) {
          float *panel = panels + (j / 8) * kb * 8 + p * 8;
          wasm_v128_store(panel, wasm_v128_load(row + j));
          wasm_v128_store(panel + 4, wasm_v128_load(row + j + 4));
        }
      }
      winograd_gemm_panels(at, panels, block, M, kb, N);
      for (int k = 0; k < M * N; k++) total[k] += block[k];
    }
    float *yb = y + t * M * N;
    for (int k = 0; k < M * N; k++) yb[k] = (float)total[k];
  }
}
