import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rgbaToRgb, rgbToRgba } from '../../src/browser/rgba-image.js';

test('rgbaToRgb copies opaque pixels and composites translucent ones over white', () => {
  // Pixel 0 opaque; pixel 1 alpha 0 (white); pixel 2 alpha 51 (0.2): 100 * 0.2 + 255 * 0.8 = 224.
  const data = new Uint8ClampedArray([10, 20, 30, 255, 1, 2, 3, 0, 100, 0, 255, 51]);
  const rgb = rgbaToRgb({ data, width: 3, height: 1 });
  assert.equal(Array.from(rgb.data), [10, 20, 30, 255, 255, 255, 224, 204, 255]);
  assert.is(rgb.width, 3);
  assert.is(rgb.height, 1);
});

test('rgbToRgba adds opaque alpha and round-trips opaque images', () => {
  const rgb = { data: new Uint8Array([1, 2, 3, 4, 5, 6]), width: 1, height: 2 };
  const rgba = rgbToRgba(rgb);
  assert.ok(rgba.data instanceof Uint8ClampedArray);
  assert.equal(Array.from(rgba.data), [1, 2, 3, 255, 4, 5, 6, 255]);
  assert.equal(Array.from(rgbaToRgb(rgba).data), Array.from(rgb.data));
});

test('rgbaToRgb rejects malformed images naming the field', () => {
  assert.throws(() => rgbaToRgb({ data: new Uint8ClampedArray(7), width: 1, height: 2 }), /image\.data\.length must be width \* height \* 4 = 8 \(received 7\)/);
  assert.throws(() => rgbaToRgb({ data: new Uint8ClampedArray(4), width: 0, height: 1 }), /image\.width must be a positive integer/);
  assert.throws(() => rgbaToRgb({ data: [1, 2, 3, 4] as unknown as Uint8Array, width: 1, height: 1 }), /image\.data must be a Uint8ClampedArray or Uint8Array/);
});

test.run();
