/**
 * @file Tiling as pure arithmetic (no tensors): which rectangle of the input
 * each tile runs on, which part of the output it owns, and the feather
 * weights that blend it with its neighbours.
 *
 * Per axis the image is cut into owned segments at multiples of `multiple`
 * (the style network's two stride-2 convs need 4, so tiles share the whole
 * image's sampling grid). Each segment's output extends `feather / 2` input
 * pixels past each interior boundary, where a linear ramp blends it with the
 * neighbour (the two ramps sum to 1); its input extends a further `overlap`
 * pixels of real context, so that with `overlap` >= the network's receptive
 * radius every output pixel used is exactly the whole-image one. Only the
 * image's own border is padded (by the network itself, as for a whole image).
 */
import { optionRangeError } from '../errors.js';
import { integerAtLeast } from '../validate.js';

/** A rectangle in pixels: columns [x, x + width), rows [y, y + height). */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** One tile of a plan. */
export interface Tile {
  readonly index: number;
  /** Input pixels to run the network on (edges multiples of `multiple`, inside the image). */
  readonly input: Rect;
  /** Input pixels this tile owns: the owned rects partition the image. */
  readonly owned: Rect;
  /** Output pixels it contributes to (owned, scaled, plus the feather bands). */
  readonly output: Rect;
  /** Blend weight per output column of `output` (in [0, 1]); a pixel's weight is weightX[i] * weightY[j]. */
  readonly weightX: Float32Array;
  /** Blend weight per output row of `output`. */
  readonly weightY: Float32Array;
}

/** A tiling of a `width x height` input whose output is `scale` times larger. */
export interface TilePlan {
  readonly width: number;
  readonly height: number;
  readonly scale: number;
  readonly columns: number;
  readonly rows: number;
  readonly tiles: readonly Tile[];
}

/** Options of planTiles (all in input pixels). */
export interface PlanTilesOptions {
  /** Owned tile edge, at most (>= multiple). */
  readonly tile: number;
  /** Context each tile reads beyond its feathered extent, per side (>= 0). */
  readonly overlap: number;
  /** Width of the blend band centred on each interior boundary (>= 0; 0 = hard seams); capped to fit. Default 16. */
  readonly feather?: number;
  /** Tile edges are multiples of this; width and height must be too. Default 1. */
  readonly multiple?: number;
  /** Output pixels per input pixel (SR factor). Default 1. */
  readonly scale?: number;
}

interface Segment {
  readonly owned: readonly [number, number];
  readonly input: readonly [number, number];
  readonly output: readonly [number, number];
  readonly weights: Float32Array;
}

/** Right-hand ramp of the band [s(b - h), s(b + h)) at output pixel X (centre X + 0.5). */
function rampUp(X: number, boundary: number, half: number, scale: number): number {
  if (half === 0) return X >= boundary * scale ? 1 : 0;
  const t = (X + 0.5 - (boundary - half) * scale) / (2 * half * scale);
  return t <= 0 ? 0 : t >= 1 ? 1 : t;
}

function planAxis(size: number, tile: number, overlap: number, feather: number, multiple: number, scale: number): Segment[] {
  const count = Math.ceil(size / tile);
  const bounds: number[] = [0];
  for (let i = 1; i < count; i++) {
    const b = Math.round((i * size) / count / multiple) * multiple;
    if (b > bounds[bounds.length - 1]! && b < size) bounds.push(b);
  }
  bounds.push(size);
  let shortest = size;
  for (let i = 1; i < bounds.length; i++) shortest = Math.min(shortest, bounds[i]! - bounds[i - 1]!);
  // Bands of neighbouring boundaries must not overlap, or the ramps would not sum to 1.
  const half = Math.min(Math.floor(feather / 2), Math.floor(shortest / 2));
  const segments: Segment[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const a = bounds[i]!;
    const b = bounds[i + 1]!;
    const first = i === 0;
    const last = i + 2 === bounds.length;
    const outStart = first ? 0 : (a - half) * scale;
    const outEnd = last ? size * scale : (b + half) * scale;
    const inStart = Math.max(0, Math.floor((a - (first ? 0 : half) - overlap) / multiple) * multiple);
    const inEnd = Math.min(size, Math.ceil((b + (last ? 0 : half) + overlap) / multiple) * multiple);
    const weights = new Float32Array(outEnd - outStart);
    for (let k = 0; k < weights.length; k++) {
      const X = outStart + k;
      const left = first ? 1 : rampUp(X, a, half, scale);
      const right = last ? 1 : 1 - rampUp(X, b, half, scale);
      weights[k] = left * right;
    }
    segments.push({ owned: [a, b], input: [inStart, inEnd], output: [outStart, outEnd], weights });
  }
  return segments;
}

/**
 * Plans the tiles of a `width x height` input.
 * @throws RangeError E_OPTIONS for non-integer or out-of-range sizes and options,
 *   or a width/height that is not a multiple of `multiple` (pad the image first).
 * @example
 * const plan = planTiles({ width: 1920, height: 1080 }, { tile: 512, overlap: 64, multiple: 4 });
 */
export function planTiles(size: { readonly width: number; readonly height: number }, options: PlanTilesOptions): TilePlan {
  const { tile, overlap, feather = 16, multiple = 1, scale = 1 } = options;
  integerAtLeast(multiple, 'options.multiple', 1);
  integerAtLeast(scale, 'options.scale', 1);
  integerAtLeast(tile, 'options.tile', multiple);
  integerAtLeast(overlap, 'options.overlap', 0);
  integerAtLeast(feather, 'options.feather', 0);
  for (const axis of ['width', 'height'] as const) {
    const value = size[axis];
    integerAtLeast(value, axis, 1);
    if (value % multiple !== 0) throw optionRangeError(axis, `a multiple of ${multiple} (pad the image to it before planning)`, value);
  }
  const columns = planAxis(size.width, tile, overlap, feather, multiple, scale);
  const rows = planAxis(size.height, tile, overlap, feather, multiple, scale);
  const tiles: Tile[] = [];
  for (const row of rows) {
    for (const column of columns) {
      const rect = (pick: (s: Segment) => readonly [number, number]): Rect => {
        const [x0, x1] = pick(column);
        const [y0, y1] = pick(row);
        return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
      };
      tiles.push({
        index: tiles.length,
        input: rect((s) => s.input),
        owned: rect((s) => s.owned),
        output: rect((s) => s.output),
        weightX: column.weights,
        weightY: row.weights,
      });
    }
  }
  return { width: size.width, height: size.height, scale, columns: columns.length, rows: rows.length, tiles };
}
