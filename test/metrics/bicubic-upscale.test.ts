import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bicubicUpscale } from '../../src/metrics/index.js';
import { mirrorIndex } from '../../src/mirror-index.js';

test('MATLAB boundary: half-sample symmetric mirroring', () => {
  assert.equal([-3, -2, -1, 0, 4, 5, 6, 7].map((i) => mirrorIndex(i, 5, 'symmetric')), [2, 1, 0, 0, 4, 4, 3, 2]);
});

test('x2 of [100, 200] by hand with Keys a = -0.5 and mirrored edges', () => {
  // W(0.25) = 0.8671875, W(0.75) = 0.2265625, W(1.25) = -0.0703125, W(1.75) = -0.0234375.
  // out0 samples x = -0.25: taps -2,-1,0,1 -> 1,0,0,1; out1 samples x = 0.25: taps -1,0,1,2 -> 0,0,1,1.
  const out0 = 200 * -0.0234375 + 100 * 0.2265625 + 100 * 0.8671875 + 200 * -0.0703125; // 90.625
  const out1 = 100 * (-0.0703125 + 0.8671875) + 200 * (0.2265625 - 0.0234375); // 120.3125
  const expected = [out0, out1, 300 - out1, 300 - out0];
  const f = bicubicUpscale({ width: 2, height: 1, channels: 1, data: new Float64Array([100 / 255, 200 / 255]) }, 2);
  assert.is(f.width, 4);
  assert.is(f.height, 2);
  for (let i = 0; i < 4; i++) {
    assert.ok(Math.abs(f.data[i]! * 255 - expected[i]!) < 1e-3, `${i}`);
    assert.is(f.data[4 + i], f.data[i]);
  }
  // 8-bit input: each pass is rounded to 8 bits, as MATLAB's uint8 path.
  const u = bicubicUpscale({ width: 2, height: 1, channels: 1, data: Uint8Array.from([100, 200]) }, 2);
  assert.equal(Array.from(u.data.subarray(0, 4), (v) => Math.round(v * 255)), expected.map((v) => Math.round(v)));
});

test('a constant image stays constant; a ramp is reproduced away from the edges', () => {
  const c = bicubicUpscale({ width: 3, height: 2, channels: 3, data: new Uint8Array(18).fill(77) }, 4);
  assert.ok(c.data.every((v) => v === Math.fround(77 / 255)));
  const ramp = bicubicUpscale({ width: 8, height: 1, channels: 1, data: Float64Array.from({ length: 8 }, (_, i) => i / 10) }, 4);
  // Output i samples x = (i + 0.5) / 4 - 0.5; cubic convolution is exact on linear signals.
  for (let i = 8; i < 24; i++) assert.ok(Math.abs(ramp.data[i]! - ((i + 0.5) / 4 - 0.5) / 10) < 1e-6, `${i}`);
});

test('bad scale is refused', () => {
  assert.throws(() => bicubicUpscale({ width: 1, height: 1, channels: 1, data: new Uint8Array(1) }, 1.5), /scale must be a positive integer/);
});

test.run();
