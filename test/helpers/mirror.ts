/**
 * A second implementation of reflection padding for tests: an HWC image
 * (3 channels) continued by `margin` pixels on every side, mirrored about
 * the edge pixels (the edge itself is not repeated), index by index.
 */
export function mirrorByHand(pixels: ArrayLike<number>, width: number, height: number, margin: number): Float32Array {
  const reflect = (i: number, n: number): number => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
  const w = width + 2 * margin;
  const h = height + 2 * margin;
  const out = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const from = (reflect(y - margin, height) * width + reflect(x - margin, width)) * 3;
      for (let c = 0; c < 3; c++) out[(y * w + x) * 3 + c] = pixels[from + c]!;
    }
  }
  return out;
}

/** The `width` x `height` window at (margin, margin) of an HWC image `fullWidth` wide (3 channels). */
export function cutByHand(pixels: ArrayLike<number>, fullWidth: number, width: number, height: number, margin: number): Float32Array {
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < width * 3; i++) out[y * width * 3 + i] = pixels[((y + margin) * fullWidth + margin) * 3 + i]!;
  }
  return out;
}
