/**
 * @file Plain-TypeScript loop implementations (no tfjs) of the layers the
 * transform networks use, as an independent second implementation for tests.
 * Images are single NHWC images (batch 1) as flat row-major arrays, except
 * where a function takes a batch shape.
 */

/** One H x W x C image, row-major. */
export interface RefImage {
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly data: ArrayLike<number>;
}

/** Reflection index for i in [-(n-1), 2n-2]: x[-1] = x[1], x[n] = x[n-2]. */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  let j = i;
  while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
  return j;
}

/** `x` continued by `m` pixels of reflection on every side (reflectIndex per pixel). */
export function reflectPadRef(x: RefImage, m: number): RefImage {
  const h = x.h + 2 * m;
  const w = x.w + 2 * m;
  const data = new Float32Array(h * w * x.c);
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      const from = (reflectIndex(y - m, x.h) * x.w + reflectIndex(xx - m, x.w)) * x.c;
      for (let ch = 0; ch < x.c; ch++) data[(y * w + xx) * x.c + ch] = x.data[from + ch]!;
    }
  }
  return { h, w, c: x.c, data };
}

/** The `h` x `w` window of `x` whose top-left pixel is (top, left). */
export function cropRef(x: RefImage, top: number, left: number, h: number, w: number): RefImage {
  const data = new Float32Array(h * w * x.c);
  for (let y = 0; y < h; y++) {
    for (let i = 0; i < w * x.c; i++) data[y * w * x.c + i] = x.data[((y + top) * x.w + left) * x.c + i]!;
  }
  return { h, w, c: x.c, data };
}

/**
 * Convolution with an HWIO kernel. Output pixel (oy, ox) reads input
 * (oy*stride + ky - padTop, ox*stride + kx - padLeft); out-of-range reads are
 * 0 (`zero`) or reflected (`reflect`).
 */
export function conv2dRef(
  x: RefImage,
  kernel: ArrayLike<number>,
  k: [kh: number, kw: number, cout: number],
  stride: number,
  pad: [top: number, left: number],
  outSize: [oh: number, ow: number],
  mode: 'zero' | 'reflect',
  bias?: ArrayLike<number>,
): RefImage {
  const [kh, kw, cout] = k;
  const [oh, ow] = outSize;
  const out = new Float64Array(oh * ow * cout);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      for (let co = 0; co < cout; co++) {
        let sum = bias ? bias[co]! : 0;
        for (let ky = 0; ky < kh; ky++) {
          let iy = oy * stride + ky - pad[0];
          if (iy < 0 || iy >= x.h) {
            if (mode === 'zero') continue;
            iy = reflectIndex(iy, x.h);
          }
          for (let kx = 0; kx < kw; kx++) {
            let ix = ox * stride + kx - pad[1];
            if (ix < 0 || ix >= x.w) {
              if (mode === 'zero') continue;
              ix = reflectIndex(ix, x.w);
            }
            for (let ci = 0; ci < x.c; ci++) {
              sum += x.data[(iy * x.w + ix) * x.c + ci]! * kernel[((ky * kw + kx) * x.c + ci) * cout + co]!;
            }
          }
        }
        out[(oy * ow + ox) * cout + co] = sum;
      }
    }
  }
  return { h: oh, w: ow, c: cout, data: out };
}

/** gamma (x - mean) / sqrt(biased var + eps) + beta per channel over H, W; optional ReLU. */
export function instanceNormRef(x: RefImage, gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number, relu = false): RefImage {
  return { ...x, data: instanceNormBatchRef(x.data, [1, x.h, x.w, x.c], gamma, beta, eps, relu) };
}

/**
 * instanceNormRef over a batch NHWC [b, h, w, c], statistics per image and
 * channel (two-pass variance), or `given` statistics [c] for every image.
 */
export function instanceNormBatchRef(
  x: ArrayLike<number>,
  shape: readonly number[],
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  eps: number,
  relu = false,
  given?: { readonly mean: ArrayLike<number>; readonly variance: ArrayLike<number> },
): Float64Array {
  const [b, h, w, c] = shape as [number, number, number, number];
  const n = h * w;
  const out = new Float64Array(b * n * c);
  for (let image = 0; image < b; image++) {
    for (let ch = 0; ch < c; ch++) {
      const at = (p: number): number => (image * n + p) * c + ch;
      let mean = given ? given.mean[ch]! : 0;
      let variance = given ? given.variance[ch]! : 0;
      if (!given) {
        for (let p = 0; p < n; p++) mean += x[at(p)]!;
        mean /= n;
        for (let p = 0; p < n; p++) variance += (x[at(p)]! - mean) ** 2;
        variance /= n;
      }
      for (let p = 0; p < n; p++) {
        const v = (gamma[ch]! * (x[at(p)]! - mean)) / Math.sqrt(variance + eps) + beta[ch]!;
        out[at(p)] = relu ? Math.max(0, v) : v;
      }
    }
  }
  return out;
}

/** max |a - b| / max(1e-12, max |b|). */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

/** Deterministic pseudo-random values in [lo, hi) (a tiny LCG, independent of src/random.ts). */
export function lcgValues(count: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 4294967296;
  }
  return out;
}
