/*
 * The gradient of a max pool (NHWC, float32) that sends each output's
 * gradient to the FIRST maximum of its window in row-major order, as the
 * tfjs CPU backend and PyTorch do (src/runtime/kernels/max-pool-grad.ts).
 *
 * Why: tfjs-backend-wasm 4.22's MaxPoolGrad breaks ties differently, so
 * wherever a window holds equal values (flat or saturated regions of a photo,
 * and every layer after them) the gradient went to another pixel than on
 * the CPU backend: a loss network with leaky ReLUs (darknet) gave image
 * gradients that disagreed by several percent. Both are valid subgradients;
 * this one is the convention the other backends and references share.
 *
 *   dx[b, r, s, c] = sum of dy[b, i, j, c] over the outputs (i, j) whose
 *   window's first maximum (strictly greater than every earlier value;
 *   NaN never wins) lies at (r, s).
 *
 * Window of output (i, j): rows i*strideH - padTop + k*dilationH for k with
 * the row inside [0, H) and below i*strideH - padTop + effH, likewise columns
 * (the bounds tfjs's CPU backend uses). SIMD over 4 channels; no data
 * segments, no stack arrays.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

typedef v128_t f4;

static inline int first_in_range(int corner, int dilation) {
  int at = corner;
  while (at < 0) at += dilation;
  return at;
}

EXPORT(max_pool_grad)
void max_pool_grad(const float *x, const float *dy, float *dx, int B, int H, int W, int C, int OH, int OW, int strideH, int strideW,
                   int dilationH, int dilationW, int effH, int effW, int padTop, int padLeft) {
  const int size = B * H * W * C;
  int k = 0;
  for (; k + 4 <= size; k += 4) wasm_v128_store(dx + k, wasm_f32x4_splat(0.0f));
  for (; k < size; k++) dx[k] = 0.0f;
  const float lowest = -__builtin_inff();
  for (int b = 0; b < B; b++) {
    for (int i = 0; i < OH; i++) {
      const int rCorner = i * strideH - padTop;
      const int rMin = first_in_range(rCorner, dilationH);
      const int rMax = H < rCorner + effH ? H : rCorner + effH;
      for (int j = 0; j < OW; j++) {
        const int sCorner = j * strideW - padLeft;
        const int sMin = first_in_range(sCorner, dilationW);
        const int sMax = W < sCorner + effW ? W : sCorner + effW;
        const float *g = dy + ((b * OH + i) * OW + j) * C;
        int c = 0;
        for (; c + 4 <= C; c += 4) {
          f4 best = wasm_f32x4_splat(lowest);
          v128_t at = wasm_i32x4_splat(-1);
          for (int r = rMin; r < rMax; r += dilationH) {
            for (int s = sMin; s < sMax; s += dilationW) {
              const int p = ((b * H + r) * W + s) * C + c;
              const f4 v = wasm_v128_load(x + p);
              const v128_t greater = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, greater);
              at = wasm_v128_bitselect(wasm_i32x4_splat(p), at, greater);
            }
          }
          const int p0 = wasm_i32x4_extract_lane(at, 0), p1 = wasm_i32x4_extract_lane(at, 1);
          const int p2 = wasm_i32x4_extract_lane(at, 2), p3 = wasm_i32x4_extract_lane(at, 3);
          if (p0 >= 0) dx[p0] += g[c];
          if (p1 >= 0) dx[p1 + 1] += g[c + 1];
          if (p2 >= 0) dx[p2 + 2] += g[c + 2];
          if (p3 >= 0) dx[p3 + 3] += g[c + 3];
        }
        for (; c < C; c++) {
          float best = lowest;
          int at = -1;
          for (int r = rMin; r < rMax; r += dilationH) {
            for (int s = sMin; s < sMax; s += dilationW) {
              const int p = ((b * H + r) * W + s) * C + c;
              if (x[p] > best) {
                best = x[p];
                at = p;
              }
            }
          }
          if (at >= 0) dx[at] += g[c];
        }
      }
    }
  }
}
