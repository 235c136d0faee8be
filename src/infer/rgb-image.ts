/**
 * @file The pure pixel operations tiled inference needs around the network
 * on 8-bit RGB images (src/pixels.ts): padding to a multiple, cutting a
 * rectangle, cropping, and area downscaling (for the statistics pass).
 */
import { mirrorIndex } from '../mirror-index.js';
import type { RgbImage } from '../pixels.js';
import type { Rect } from './tile-plan.js';

/**
 * Reflection-pads the bottom and right to multiples of `multiple`, as
 * styleNetwork pads a whole image (SPEC section 4), so tiles of the padded
 * image see what the whole image would.
 * @returns the image itself when no padding is needed, else a new image
 */
export function padRgbToMultiple(image: RgbImage, multiple: number): RgbImage {
  const width = Math.ceil(image.width / multiple) * multiple;
  const height = Math.ceil(image.height / multiple) * multiple;
  if (width === image.width && height === image.height) return image;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = mirrorIndex(y, image.height, 'reflect');
    for (let x = 0; x < width; x++) {
      const src = (sy * image.width + mirrorIndex(x, image.width, 'reflect')) * 3;
      const dst = (y * width + x) * 3;
      data[dst] = image.data[src]!;
      data[dst + 1] = image.data[src + 1]!;
      data[dst + 2] = image.data[src + 2]!;
    }
  }
  return { data, width, height };
}

/**
 * Copies rectangle `rect` (inside the image) into a new, tightly packed image.
 * @throws RangeError when rect is not inside the image
 */
export function cutRgb(image: RgbImage, rect: Rect): RgbImage {
  if (rect.x < 0 || rect.y < 0 || rect.width < 0 || rect.height < 0 || rect.x + rect.width > image.width || rect.y + rect.height > image.height) {
    throw new RangeError(`cutRgb: rect ${JSON.stringify(rect)} is not inside the ${image.width}x${image.height} image`);
  }
  const data = new Uint8Array(rect.width * rect.height * 3);
  const rowBytes = rect.width * 3;
  for (let y = 0; y < rect.height; y++) {
    const src = ((rect.y + y) * image.width + rect.x) * 3;
    data.set(image.data.subarray(src, src + rowBytes), y * rowBytes);
  }
  return { data, width: rect.width, height: rect.height };
}

/**
 * Area-averaging downscale so that the longer side is at most `maxSide`
 * (each output pixel is the mean of the input area it covers, with
 * fractional edge weights). Returns the image itself when it is small enough.
 */
export function downscaleRgb(image: RgbImage, maxSide: number): RgbImage {
  const factor = Math.max(image.width, image.height) / maxSide;
  if (factor <= 1) return image;
  const width = Math.max(1, Math.round(image.width / factor));
  const height = Math.max(1, Math.round(image.height / factor));
  const columns = areaWeights(image.width, width);
  const rows = areaWeights(image.height, height);
  // Separable: first along x into float rows, then along y.
  const horizontal = new Float32Array(image.height * width * 3);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < width; x++) {
      const { start, weights } = columns[x]!;
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < weights.length; k++) {
        const src = (y * image.width + start + k) * 3;
        const w = weights[k]!;
        r += w * image.data[src]!;
        g += w * image.data[src + 1]!;
        b += w * image.data[src + 2]!;
      }
      const dst = (y * width + x) * 3;
      horizontal[dst] = r;
      horizontal[dst + 1] = g;
      horizontal[dst + 2] = b;
    }
  }
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const { start, weights } = rows[y]!;
    for (let x = 0; x < width * 3; x++) {
      let v = 0;
      for (let k = 0; k < weights.length; k++) v += weights[k]! * horizontal[(start + k) * width * 3 + x]!;
      data[y * width * 3 + x] = Math.min(255, Math.max(0, Math.round(v)));
    }
  }
  return { data, width, height };
}

/** For each output index, the first input index and the normalised overlap weights of the input pixels it covers. */
function areaWeights(inSize: number, outSize: number): Array<{ start: number; weights: Float64Array }> {
  const ratio = inSize / outSize;
  const out: Array<{ start: number; weights: Float64Array }> = [];
  for (let i = 0; i < outSize; i++) {
    const lo = i * ratio;
    const hi = Math.min(inSize, (i + 1) * ratio);
    const start = Math.floor(lo);
    const end = Math.ceil(hi);
    const weights = new Float64Array(end - start);
    for (let k = start; k < end; k++) weights[k - start] = (Math.min(hi, k + 1) - Math.max(lo, k)) / (hi - lo);
    out.push({ start, weights });
  }
  return out;
}

/**
 * A mosaic of full-resolution crops sampled on an even grid over the image,
 * about `maxSide` x `maxSide` pixels in all: a sample of the image's content
 * at its own scale, for estimating whole-image instance-norm statistics
 * (a downscaled image has other feature statistics: its texture is finer).
 * Returns the image itself when it has at most maxSide^2 pixels.
 * @param crop edge of each crop (a multiple of `multiple`), at most maxSide
 * @param multiple crop origins are multiples of this (keeps the stride-2 grid phase)
 */
export function mosaicRgb(image: RgbImage, maxSide: number, crop: number, multiple = 1): RgbImage {
  if (image.width * image.height <= maxSide * maxSide) return image;
  const cw = Math.min(crop, image.width);
  const ch = Math.min(crop, image.height);
  // Split the budget of (maxSide / crop)^2 crops between the axes in proportion to the image's aspect.
  const budget = Math.max(1, Math.floor((maxSide * maxSide) / (cw * ch)));
  let gx = Math.max(1, Math.min(Math.floor(image.width / cw), Math.round(Math.sqrt((budget * image.width * ch) / (image.height * cw)))));
  let gy = Math.max(1, Math.min(Math.floor(image.height / ch), Math.floor(budget / gx)));
  gx = Math.max(1, Math.min(gx, Math.floor(budget / gy)));
  const at = (i: number, n: number, size: number, edge: number): number =>
    n === 1 ? Math.floor((size - edge) / 2 / multiple) * multiple : Math.floor((i * (size - edge)) / (n - 1) / multiple) * multiple;
  const width = gx * cw;
  const height = gy * ch;
  const data = new Uint8Array(width * height * 3);
  for (let j = 0; j < gy; j++) {
    for (let i = 0; i < gx; i++) {
      const piece = cutRgb(image, { x: at(i, gx, image.width, cw), y: at(j, gy, image.height, ch), width: cw, height: ch });
      for (let y = 0; y < ch; y++) data.set(piece.data.subarray(y * cw * 3, (y + 1) * cw * 3), ((j * ch + y) * width + i * cw) * 3);
    }
  }
  return { data, width, height };
}
