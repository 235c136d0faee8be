import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBlendTarget } from '../../src/infer/feather-blend.js';
import { planTiles, type PlanTilesOptions, type Tile } from '../../src/infer/tile-plan.js';

/**
 * Adds a tile's weighted output into `accumulator` (interleaved RGB, `width` pixels per row).
 * @param values the tile's output over `tile.output`, interleaved RGB float32
 */
function blendTile(accumulator: Float32Array, width: number, tile: Tile, values: Float32Array): void {
  const { output, weightX, weightY } = tile;
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

/** Reference: every tile into a full Float32 accumulator, then crop and round (what runTiled did before). */
function reference(plan: ReturnType<typeof planTiles>, order: readonly number[], values: Float32Array[], width: number, height: number): Uint8Array {
  const W = plan.width * plan.scale;
  const accumulator = new Float32Array(W * plan.height * plan.scale * 3);
  for (const k of order) blendTile(accumulator, W, plan.tiles[k]!, values[k]!);
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width * 3; x++) {
      const v = accumulator[y * W * 3 + x]!;
      out[y * width * 3 + x] = v > 0 ? (v >= 1 ? 255 : Math.round(v * 255)) : 0;
    }
  }
  return out;
}

test('createBlendTarget gives the bytes of a full float accumulator (sizes, scales, feathers, crops, any tile order)', () => {
  let seed = 5;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
  const cases: Array<[number, number, PlanTilesOptions, number, number]> = [
    [72, 52, { tile: 32, overlap: 4, feather: 8, multiple: 4 }, 70, 49],
    [40, 24, { tile: 16, overlap: 2, feather: 4, scale: 3 }, 120, 72],
    [36, 36, { tile: 12, overlap: 0, feather: 0 }, 36, 35],
    [20, 12, { tile: 8, overlap: 1, feather: 16 }, 20, 12],
  ];
  for (const [width, height, options, cropW, cropH] of cases) {
    const plan = planTiles({ width, height }, options);
    // Values a little outside [0, 1] too, to exercise clamping.
    const values = plan.tiles.map((t) => Float32Array.from({ length: t.output.width * t.output.height * 3 }, () => random() * 1.2 - 0.1));
    const order = plan.tiles.map((_, k) => k).sort(() => random() - 0.5);
    const target = createBlendTarget(plan.tiles, width * plan.scale, height * plan.scale, cropW, cropH);
    for (const k of order) target.add(plan.tiles[k]!, values[k]!);
    assert.equal(target.finish(), reference(plan, order, values, cropW, cropH), `${width}x${height} ${JSON.stringify(options)}`);
  }
});

test('createBlendTarget rejects a tile output of the wrong size', () => {
  const plan = planTiles({ width: 16, height: 16 }, { tile: 8, overlap: 0 });
  const target = createBlendTarget(plan.tiles, 16, 16, 16, 16);
  assert.throws(() => target.add(plan.tiles[0]!, new Float32Array(5)), /expected/);
});

test.run();
