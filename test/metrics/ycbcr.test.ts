import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BT601_Y, lumaPlane } from '../../src/metrics/index.js';
import { yOf } from './reference-ssim.js';

const px = (...rgb: number[]) => ({ width: rgb.length / 3, height: 1, channels: 3, data: Uint8Array.from(rgb) });

test('white is 235 and black is 16 (BT.601 studio swing)', () => {
  const y = lumaPlane(px(255, 255, 255, 0, 0, 0));
  assert.ok(Math.abs(y[0]! - 235) < 1e-12);
  assert.is(y[1], 16);
  assert.is(BT601_Y.r + BT601_Y.g + BT601_Y.b, 219);
});

test('primaries and a grey follow Y = 16 + 65.481 R + 128.553 G + 24.966 B', () => {
  const y = lumaPlane(px(255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 64, 32));
  assert.ok(Math.abs(y[0]! - 81.481) < 1e-12);
  assert.ok(Math.abs(y[1]! - 144.553) < 1e-12);
  assert.ok(Math.abs(y[2]! - 40.966) < 1e-12);
  assert.ok(Math.abs(y[3]! - yOf(128, 64, 32)) < 1e-12);
  assert.equal([...lumaPlane(px(255, 0, 0), { roundY: true })], [81]);
});

test('float input is quantised before conversion; non-RGB is refused', () => {
  const y = lumaPlane({ width: 1, height: 1, channels: 3, data: new Float32Array([0.5, 0.5, 0.5]) });
  assert.ok(Math.abs(y[0]! - yOf(128, 128, 128)) < 1e-12);
  assert.throws(() => lumaPlane({ width: 1, height: 1, channels: 1, data: new Uint8Array(1) }), /image.channels must be 3/);
});

test.run();
