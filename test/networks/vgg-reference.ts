/**
 * @file Plain-loop reference implementations (no tfjs) of the layers the loss
 * networks use, so tests compare tfjs results against an independent computation.
 * Arrays are row-major NHWC with batch 1: index (y * W + x) * C + c.
 */

/** A single image: H x W x C values. */
export interface Plane {
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly data: Float64Array;
}

/** Zero-padded 'same' convolution, stride 1, odd kernel, HWIO kernel. */
export function refConv(x: Plane, kernel: ArrayLike<number>, k: number, out: number, bias?: ArrayLike<number>): Plane {
  const { h, w, c } = x;
  const data = new Float64Array(h * w * out);
  const half = (k - 1) / 2;
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      for (let o = 0; o < out; o++) {
        let sum = bias ? bias[o]! : 0;
        for (let ky = 0; ky < k; ky++) {
          const sy = y + ky - half;
          if (sy < 0 || sy >= h) continue;
          for (let kx = 0; kx < k; kx++) {
            const sx = xx + kx - half;
            if (sx < 0 || sx >= w) continue;
            for (let i = 0; i < c; i++) sum += x.data[(sy * w + sx) * c + i]! * kernel[((ky * k + kx) * c + i) * out + o]!;
          }
        }
        data[(y * w + xx) * out + o] = sum;
      }
    }
  }
  return { h, w, c: out, data };
}

/** Elementwise map. */
export function refMap(x: Plane, f: (v: number, channel: number) => number): Plane {
  return { ...x, data: x.data.map((v, i) => f(v, i % x.c)) };
}

/** 2x2 max pool, stride 2, 'valid' (floors odd sizes). */
export function refMaxPool(x: Plane): Plane {
  const h = Math.floor(x.h / 2);
  const w = Math.floor(x.w / 2);
  const data = new Float64Array(h * w * x.c);
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      for (let c = 0; c < x.c; c++) {
        let best = -Infinity;
        for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) best = Math.max(best, x.data[((2 * y + dy) * x.w + 2 * xx + dx) * x.c + c]!);
        data[(y * w + xx) * x.c + c] = best;
      }
    }
  }
  return { h, w, c: x.c, data };
}

/** Largest |a - b| relative to max(1, max |b|). */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / scale;
}
