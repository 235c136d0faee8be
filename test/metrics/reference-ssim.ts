/**
 * @file A second, independent SSIM for tests: for every valid 11x11 window,
 * the 2-D Gaussian weights from the formula, the weighted mean, and the
 * variances/covariance as weighted sums of centred products (not
 * E[x^2] - mu^2 and not separable as src/metrics/ssim.ts does).
 */
export function bruteForceSsim(a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number): number {
  const r = 5;
  const w2: number[][] = [];
  let total = 0;
  for (let dy = -r; dy <= r; dy++) {
    const row: number[] = [];
    for (let dx = -r; dx <= r; dx++) {
      const v = Math.exp(-(dx * dx + dy * dy) / (2 * 1.5 * 1.5));
      row.push(v);
      total += v;
    }
    w2.push(row);
  }
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let sum = 0;
  let count = 0;
  for (let y = r; y < height - r; y++) {
    for (let x = r; x < width - r; x++) {
      let ma = 0;
      let mb = 0;
      for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) {
        const wt = w2[dy + r]![dx + r]! / total;
        ma += wt * a[(y + dy) * width + x + dx]!;
        mb += wt * b[(y + dy) * width + x + dx]!;
      }
      let va = 0;
      let vb = 0;
      let cov = 0;
      for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) {
        const wt = w2[dy + r]![dx + r]! / total;
        const da = a[(y + dy) * width + x + dx]! - ma;
        const db = b[(y + dy) * width + x + dx]! - mb;
        va += wt * da * da;
        vb += wt * db * db;
        cov += wt * da * db;
      }
      sum += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      count++;
    }
  }
  return sum / count;
}

/** Deterministic pseudo-random bytes (LCG), for reproducible test images. */
export function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** Y of BT.601 from 8-bit R, G, B, written out by hand. */
export function yOf(r: number, g: number, b: number): number {
  return 16 + (65.481 * r) / 255 + (128.553 * g) / 255 + (24.966 * b) / 255;
}
