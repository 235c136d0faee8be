/*
 * Winograd F(4x4, 3x3) convolution for tfjs-backend-wasm (NHWC, HWIO, float32).
 *
 * Why: stride-1 3x3 convolutions hold most of the style network's, the SR
 * network's and VGG's multiply-adds. F(4x4, 3x3) (Lavin and Gray 2016,
 * interpolation points 0, +-1, +-2, infinity) turns each 4x4 output tile into
 * 36 elementwise products of a transformed 6x6 input tile with a transformed
 * filter: 4x fewer multiplications than a direct convolution (F(2x2, 3x3),
 * tried first, saves 2.25x and measured 1.9x slower than this). The 36 products
 * are batched over a block of tiles as 36 matrix products [tiles x C] . [C x O]
 * (winograd-gemm.c), which is where the time goes. Rounding error: ~1e-6 to
 * 1e-5 relative to the output's scale (test/runtime/conv2d-winograd.test.ts).
 *
 * Memory: this module imports tfjs-backend-wasm's memory, so every pointer is
 * an offset into the heap tfjs's tensors live in (no copies). It has no data
 * segments, and the loader moves its shadow stack into a block from tfjs's
 * malloc (wasm/build.mjs and src/runtime/kernels/simd-kernels.ts).
 *
 * Layouts:
 *   x  [B][H][W][C]      input
 *   w  [3][3][C][O]      filter (HWIO)
 *   U  [36][O/8][C][8]   transformed filter in 8-column panels (k = 6 i + j)
 *   y  [B][OH][OW][O]    y[b,r,s,o] = sum x[b, r+ky-padTop, s+kx-padLeft, c] w[ky,kx,c,o] (zero outside x)
 *   V  [36][tiles][C]    transformed input tiles of one block (scratch)
 *   M  [36][tiles][O]    products of one block (scratch)
 * Requires C % 4 == 0 and O % 8 == 0 (the caller checks).
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

typedef v128_t f4;

static inline f4 ld(const float *p) { return wasm_v128_load(p); }
static inline void st(float *p, f4 v) { wasm_v128_store(p, v); }
static inline f4 add(f4 a, f4 b) { return wasm_f32x4_add(a, b); }
static inline f4 sub(f4 a, f4 b) { return wasm_f32x4_sub(a, b); }
static inline f4 mul(f4 a, f4 b) { return wasm_f32x4_mul(a, b); }
static inline f4 splat(float v) { return wasm_f32x4_splat(v); }

void winograd_gemm_panels(const float *A, const float *U, float *Mo, int nt, int C, int O);

/* G g, G = [[1/4,0,0],[-1/6,-1/6,-1/6],[-1/6,1/6,-1/6],[1/24,1/12,1/6],[1/24,-1/12,1/6],[0,0,1]]. */
#define GTRANSFORM(g0, g1, g2, u0, u1, u2, u3, u4, u5)                                  \
  do {                                                                                  \
    const f4 s02 = add(g0, g2);                                                         \
    u0 = mul(splat(0.25f), g0);                                                         \
    u1 = mul(splat(-1.0f / 6), add(s02, g1));                                           \
    u2 = mul(splat(-1.0f / 6), sub(s02, g1));                                           \
    const f4 e = add(mul(splat(1.0f / 24), g0), mul(splat(1.0f / 6), g2));              \
    const f4 f = mul(splat(1.0f / 12), g1);                                             \
    u3 = add(e, f);                                                                     \
    u4 = sub(e, f);                                                                     \
    u5 = g2;                                                                            \
  } while (0)

EXPORT(winograd_f43_filter)
void winograd_f43_filter(const float *w, int C, int O, float *U) {
  const int CO = C * O;
  for (int c = 0; c < C; c++) {
    for (int o = 0; o < O; o += 4) {
      const float *g = w + c * O + o;
      f4 t[6][3];
      for (int x = 0; x < 3; x++) /* rows of G g, one filter column at a time */
        GTRANSFORM(ld(g + x * CO), ld(g + (3 + x) * CO), ld(g + (6 + x) * CO), t[0][x], t[1][x], t[2][x], t[3][x], t[4][x], t[5][x]);
      float *u = U + (o / 8) * (C * 8) + c * 8 + (o % 8);
      for (int i = 0; i < 6; i++) {
        f4 u0, u1, u2, u3, u4, u5;
        GTRANSFORM(t[i][0], t[i][1], t[i][2], u0, u1, u2, u3, u4, u5);
        st(u + (6 * i + 0) * CO, u0); st(u + (6 * i + 1) * CO, u1); st(u + (6 * i + 2) * CO, u2);
        st(u + (6 * i + 3) * CO, u3); st(u + (6 * i + 4) * CO, u4); st(u + (6 * i + 5) * CO, u5);
      }
    }
  }
}

/* B^T d for a 6-vector. */
#define BTRANSFORM(d0, d1, d2, d3, d4, d5, t0, t1, t2, t3, t4, t5)                      \
  do {                                                                                  \
    const f4 p = sub(d4, mul(splat(4.0f), d2)), q = sub(d3, mul(splat(4.0f), d1));      \
    const f4 r = sub(d4, d2), s = mul(splat(2.0f), sub(d3, d1));                        \
    t0 = add(sub(mul(splat(4.0f), d0), mul(splat(5.0f), d2)), d4);                      \
    t1 = add(p, q);                                                                     \
    t2 = sub(p, q);                                                                     \
    t3 = add(r, s);                                                                     \
    t4 = sub(r, s);                                                                     \
    t5 = add(sub(mul(splat(4.0f), d1), mul(splat(5.0f), d3)), d5);                      \
  } while (0)

static void input_transform(const float *x, int H, int W, int C, int padTop, int padLeft, int tilesX, int t0, int nt, float *V) {
  const int ks = nt * C;
  for (int t = 0; t < nt; t++) {
    const int ty = (t0 + t) / tilesX, tx = (t0 + t) % tilesX;
    const int r0 = 4 * ty - padTop, s0 = 4 * tx - padLeft;
    const int interior = r0 >= 0 && s0 >= 0 && r0 + 6 <= H && s0 + 6 <= W;
    float *v = V + t * C;
    for (int c = 0; c < C; c += 4) {
      f4 a[6][6]; /* a[i][j] = (B^T d)[i][j] */
      for (int j = 0; j < 6; j++) {
        f4 d[6];
        for (int i = 0; i < 6; i++) {
          const int r = r0 + i, s = s0 + j;
          d[i] = (interior || (r >= 0 && r < H && s >= 0 && s < W)) ? ld(x + (r * W + s) * C + c) : splat(0.0f);
        }
        BTRANSFORM(d[0], d[1], d[2], d[3], d[4], d[5], a[0][j], a[1][j], a[2][j], a[3][j], a[4][j], a[5][j]);
      }
      for (int i = 0; i < 6; i++) {
        f4 u0, u1, u2, u3, u4, u5;
        BTRANSFORM(a[i][0], a[i][1], a[i][2], a[i][3], a[i][4], a[i][5], u0, u1, u2, u3, u4, u5);
        float *out = v + 6 * i * ks + c;
        st(out, u0); st(out + ks, u1); st(out + 2 * ks, u2); st(out + 3 * ks, u3); st(out + 4 * ks, u4); st(out + 5 * ks, u5);
      }
    }
  }
}

/* A^T m for a 6-vector, A^T = [[1,1,1,1,1,0],[0,1,-1,2,-2,0],[0,1,1,4,4,0],[0,1,-1,8,-8,1]]. */
#define ATRANSFORM(m0, m1, m2, m3, m4, m5, y0, y1, y2, y3)                              \
  do {                                                                                  \
    const f4 a = add(m1, m2), b = sub(m1, m2), c = add(m3, m4), d = sub(m3, m4);        \
    y0 = add(add(m0, a), c);                                                            \
    y1 = add(b, mul(splat(2.0f), d));                                                   \
    y2 = add(a, mul(splat(4.0f), c));                                                   \
    y3 = add(add(b, mul(splat(8.0f), d)), m5);                                          \
  } while (0)

static void output_transform(const float *Mo, int nt, int O, int OH, int OW, int tilesX, int t0, float *y) {
  const int ks = nt * O;
  for (int t = 0; t < nt; t++) {
    const int ty = (t0 + t) / tilesX, tx = (t0 + t) % tilesX;
    const int r0 = 4 * ty, s0 = 4 * tx;
    const int rows = OH - r0 < 4 ? OH - r0 : 4, cols = OW - s0 < 4 ? OW - s0 : 4;
    const float *m = Mo + t * O;
    for (int o = 0; o < O; o += 4) {
      f4 s[4][6]; /* s[i][j] = (A^T m)[i][j] */
      for (int j = 0; j < 6; j++) {
        const float *p = m + j * ks + o;
        ATRANSFORM(ld(p), ld(p + 6 * ks), ld(p + 12 * ks), ld(p + 18 * ks), ld(p + 24 * ks), ld(p + 30 * ks), s[0][j], s[1][j], s[2][j], s[3][j]);
      }
      for (int i = 0; i < rows; i++) {
        f4 y0, y1, y2, y3;
        ATRANSFORM(s[i][0], s[i][1], s[i][2], s[i][3], s[i][4], s[i][5], y0, y1, y2, y3);
        float *out = y + ((r0 + i) * OW + s0) * O + o;
        st(out, y0);
        if (cols > 1) st(out + O, y1);
        if (cols > 2) st(out + 2 * O, y2);
        if (cols > 3) st(out + 3 * O, y3);
      }
    }
  }
}

EXPORT(winograd_f43_conv)
void winograd_f43_conv(const float *x, int B, int H, int W, int C, const float *U, int O, float *y, int OH, int OW,
                       int padTop, int padLeft, float *V, float *Mo, int blockTiles) {
  const int tilesY = (OH + 3) / 4, tilesX = (OW + 3) / 4, tiles = tilesY * tilesX;
  for (int b = 0; b < B; b++) {
    const float *xb = x + b * H * W * C;
    float *yb = y + b * OH * OW * O;
    for (int t0 = 0; t0 < tiles; t0 += blockTiles) {
      const int nt = tiles - t0 < blockTiles ? tiles - t0 : blockTiles;
      input_transform(xb, H, W, C, padTop, padLeft, tilesX, t0, nt, V);
      for (int k = 0; k < 36; k++) winograd_gemm_panels(V + k * nt * C, U + k * C * O, Mo + k * nt * O, nt, C, O);
      output_transform(Mo, nt, O, OH, OW, tilesX, t0, yb);
    }
  }
}
