/**
 * @file Feathered blending of tile outputs into a Float32 accumulator: each
 * tile adds weightX[i] * weightY[j] * value; a plan's weights sum to 1 at
 * every output pixel (tile-plan.ts), so no normalisation pass is needed.
 */
import type { Tile } from './tile-plan.js';

/**
 * Adds a tile's weighted output into `accumulator` (interleaved RGB, `width` pixels per row).
 * @param values the tile's output over `tile.output`, interleaved RGB float32
 * @throws RangeError when `values` does not match tile.output
 */
export function blendTile(accumulator: Float32Array, width: number, tile: Tile, values: Float32Array): void {
  const { output, weightX, weightY } = tile;
  if (values.length !== output.width * output.height * 3) {
    throw new RangeError(`blendTile: tile ${tile.index} returned ${values.length} values, expected ${output.width}x${output.height}x3`);
  }
  for (let j = 0; j < output.height; j++) {
    const wy = weightY[j]!;
    if (wy === 0) continue;
    const dstRow = ((output.y + j) * width + output.x) * 3;
    const srcRow = j * output.width * 3;
    for (let i = 0; i < output.width; i++) {
      const w = wy * weightX[i]!;
      if (w === 0) continue;
      const d = dstRow + i * 3;
      const s = srcRow + i * 3;
      accumulator[d] += w * values[s]!;
      accumulator[d + 1] += w * values[s + 1]!;
      accumulator[d + 2] += w * values[s + 2]!;
    }
  }
}
