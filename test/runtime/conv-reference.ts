/**
 * @file A second implementation of 2-D convolution for the runtime tests:
 * direct float64 loops, NHWC / HWIO, TensorFlow's 'same' / 'valid' /
 * explicit zero padding, written from the definitions (no tfjs code).
 */

export type Shape4 = [number, number, number, number];
export type PadSpec = 'same' | 'valid' | number | { top: number; bottom: number; left: number; right: number };
export interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** TensorFlow's padding: 'same' gives ceil(H / s) outputs, the odd pixel at the bottom/right. */
export function padsFor(pad: PadSpec, inH: number, inW: number, kH: number, kW: number, stride: number): Pads {
  if (pad === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (typeof pad === 'number') return { top: pad, bottom: pad, left: pad, right: pad };
  if (typeof pad === 'object') return pad;
  const totalH = Math.max((Math.ceil(inH / stride) - 1) * stride + kH - inH, 0);
  const totalW = Math.max((Math.ceil(inW / stride) - 1) * stride + kW - inW, 0);
  return { top: Math.floor(totalH / 2), bottom: totalH - Math.floor(totalH / 2), left: Math.floor(totalW / 2), right: totalW - Math.floor(totalW / 2) };
}

/** y = conv(x, w): x [B, H, W, C], w [KH, KW, C, O]; returns y and its shape. */
export function conv2dReference(x: ArrayLike<number>, xs: Shape4, w: ArrayLike<number>, ws: Shape4, stride: number, p: Pads): { y: Float64Array; shape: Shape4 } {
  const [b, h, wd, c] = xs;
  const [kh, kw, , o] = ws;
  const oh = Math.floor((h + p.top + p.bottom - kh) / stride) + 1;
  const ow = Math.floor((wd + p.left + p.right - kw) / stride) + 1;
  const y = new Float64Array(b * oh * ow * o);
  for (let n = 0; n < b; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let q = 0; q < kh; q++) {
          const r = i * stride + q - p.top;
          if (r < 0 || r >= h) continue;
          for (let t = 0; t < kw; t++) {
            const s = j * stride + t - p.left;
            if (s < 0 || s >= wd) continue;
            for (let ci = 0; ci < c; ci++) {
              const xv = x[((n * h + r) * wd + s) * c + ci] as number;
              for (let co = 0; co < o; co++) {
                const k = ((n * oh + i) * ow + j) * o + co;
                y[k] = (y[k] as number) + xv * (w[((q * kw + t) * c + ci) * o + co] as number);
              }
            }
          }
        }
  return { y, shape: [b, oh, ow, o] };
}

/** sum(conv(x, w) * r): the scalar whose gradients the tests check. */
export function weightedConvSum(x: ArrayLike<number>, xs: Shape4, w: ArrayLike<number>, ws: Shape4, stride: number, p: Pads, r: ArrayLike<number>): number {
  const { y } = conv2dReference(x, xs, w, ws, stride, p);
  let sum = 0;
  for (let k = 0; k < y.length; k++) sum += (y[k] as number) * (r[k] as number);
  return sum;
}

/** Central differences of `f` at `v` in float64, one coordinate at a time. */
export function centralDifferences(v: ArrayLike<number>, f: (v: Float64Array) => number, eps = 1e-3): Float64Array {
  const work = Float64Array.from(v);
  const grad = new Float64Array(work.length);
  for (let k = 0; k < work.length; k++) {
    const saved = work[k] as number;
    work[k] = saved + eps;
    const plus = f(work);
    work[k] = saved - eps;
    const minus = f(work);
    work[k] = saved;
    grad[k] = (plus - minus) / (2 * eps);
  }
  return grad;
}

/** max |a - b| / max |b|: the relative error used throughout. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let k = 0; k < a.length; k++) {
    diff = Math.max(diff, Math.abs((a[k] as number) - (b[k] as number)));
    scale = Math.max(scale, Math.abs(b[k] as number));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Deterministic values in [-1, 1) (mulberry32), so failures reproduce. */
export function seeded(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[k] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}
