import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planTiles, type PlanTilesOptions } from '../../src/infer/tile-plan.js';

/** Brute force: owned rects partition the image, weights sum to 1 everywhere, inputs are aligned and cover outputs with context. */
function checkPlan(width: number, height: number, options: PlanTilesOptions): void {
  const plan = planTiles({ width, height }, options);
  const scale = options.scale ?? 1;
  const multiple = options.multiple ?? 1;
  const W = width * scale;
  const H = height * scale;
  const owners = new Uint16Array(width * height);
  const weights = new Float64Array(W * H);
  for (const tile of plan.tiles) {
    const { owned, input, output } = tile;
    for (let y = owned.y; y < owned.y + owned.height; y++) for (let x = owned.x; x < owned.x + owned.width; x++) owners[y * width + x]! += 1;
    for (const v of [input.x, input.y, input.width, input.height]) assert.is(v % multiple, 0, 'input aligned to multiple');
    assert.ok(input.x >= 0 && input.y >= 0 && input.x + input.width <= width && input.y + input.height <= height, 'input inside image');
    // The output lies inside the scaled input, with `overlap` of context wherever the input is not clipped by the image.
    assert.ok(output.x >= input.x * scale && output.x + output.width <= (input.x + input.width) * scale);
    assert.ok(output.y >= input.y * scale && output.y + output.height <= (input.y + input.height) * scale);
    if (input.x > 0) assert.ok(output.x - input.x * scale >= options.overlap * scale, 'left context');
    if (input.x + input.width < width) assert.ok((input.x + input.width) * scale - (output.x + output.width) >= options.overlap * scale, 'right context');
    assert.is(tile.weightX.length, output.width);
    assert.is(tile.weightY.length, output.height);
    for (let j = 0; j < output.height; j++) {
      for (let i = 0; i < output.width; i++) weights[(output.y + j) * W + output.x + i]! += tile.weightX[i]! * tile.weightY[j]!;
    }
  }
  assert.ok(owners.every((n) => n === 1), 'every input pixel owned exactly once');
  let worst = 0;
  for (const w of weights) worst = Math.max(worst, Math.abs(w - 1));
  assert.ok(worst < 1e-6, `weights sum to 1 (worst deviation ${worst})`);
}

test('a plan partitions the image and its feather weights sum to 1 (several sizes, scales, multiples)', () => {
  checkPlan(100, 60, { tile: 32, overlap: 8, feather: 16, multiple: 4 });
  checkPlan(1000, 1000, { tile: 512, overlap: 60, multiple: 4 });
  checkPlan(37, 23, { tile: 10, overlap: 5, feather: 6, scale: 4 });
  checkPlan(64, 64, { tile: 16, overlap: 0, feather: 0, multiple: 4 });
  checkPlan(48, 40, { tile: 8, overlap: 4, feather: 100, multiple: 4 }); // feather capped to fit
  checkPlan(20, 20, { tile: 64, overlap: 16, multiple: 4 }); // one tile
});

test('tiles are cut at multiples of `multiple` with the expected counts and extents', () => {
  const plan = planTiles({ width: 1024, height: 512 }, { tile: 512, overlap: 60, feather: 16, multiple: 4 });
  assert.is(plan.columns, 2);
  assert.is(plan.rows, 1);
  const [left, right] = plan.tiles;
  assert.equal(left!.owned, { x: 0, y: 0, width: 512, height: 512 });
  assert.equal(left!.output, { x: 0, y: 0, width: 520, height: 512 });
  // 512 + 8 (half band) + 60 context = 580, a multiple of 4.
  assert.equal(left!.input, { x: 0, y: 0, width: 580, height: 512 });
  assert.equal(right!.input, { x: 444, y: 0, width: 580, height: 512 });
  // Linear ramp across the 16-pixel band [504, 520): centres 504.5 ... 519.5.
  assert.is(left!.weightX[503], 1);
  assert.ok(Math.abs(left!.weightX[504]! - (1 - 0.5 / 16)) < 1e-6);
  assert.ok(Math.abs(right!.weightX[0]! - 0.5 / 16) < 1e-6);
  const sr = planTiles({ width: 30, height: 10 }, { tile: 16, overlap: 3, feather: 4, scale: 2 });
  assert.equal(sr.tiles[0]!.output, { x: 0, y: 0, width: 34, height: 20 });
});

test('bad options are rejected with messages that name them', () => {
  assert.throws(() => planTiles({ width: 10, height: 10 }, { tile: 0, overlap: 1 }), /options\.tile must be an integer >= 1 \(received 0\)/);
  assert.throws(() => planTiles({ width: 10, height: 10 }, { tile: 8, overlap: -1 }), /options\.overlap/);
  assert.throws(() => planTiles({ width: 10, height: 12 }, { tile: 8, overlap: 1, multiple: 4 }), /width must be a multiple of 4/);
});

test.run();
