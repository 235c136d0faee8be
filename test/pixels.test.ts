/**
 * src/pixels.ts: the RGBA/RGB conversions against exact integer arithmetic,
 * and the checks' messages and error classes for each kind of buffer.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkHwcImage, checkPixels, checkRgbImage, rgbaToRgb, rgbToRgba } from '../src/pixels.js';
import { isByteArray } from '../src/validate.js';
import { throwsOption } from './helpers/option-errors.js';

test('rgbaToRgb copies opaque pixels and composites translucent ones over white', () => {
  // Pixel 0 opaque; pixel 1 alpha 0 (white); pixel 2 alpha 51 (0.2): 100 * 0.2 + 255 * 0.8 = 224.
  const data = new Uint8ClampedArray([10, 20, 30, 255, 1, 2, 3, 0, 100, 0, 255, 51]);
  const rgb = rgbaToRgb({ data, width: 3, height: 1 });
  assert.equal(Array.from(rgb.data), [10, 20, 30, 255, 255, 255, 224, 204, 255]);
  assert.is(rgb.width, 3);
  assert.is(rgb.height, 1);
});

test('rgbaToRgb equals round((v a + 255 (255 - a)) / 255) in integers for every value and alpha', () => {
  const data = new Uint8Array(256 * 256 * 4);
  for (let a = 0; a < 256; a++) {
    for (let v = 0; v < 256; v++) data.set([v, v, v, a], (a * 256 + v) * 4);
  }
  const rgb = rgbaToRgb({ data, width: 256, height: 256 });
  let mismatches = 0;
  for (let a = 0; a < 256; a++) {
    for (let v = 0; v < 256; v++) {
      const numerator = v * a + 255 * (255 - a);
      // Round half up of numerator / 255 in integers (no tie occurs: 2 numerator is never an odd multiple of 255).
      const expected = Math.floor((2 * numerator + 255) / 510);
      if (rgb.data[(a * 256 + v) * 3] !== expected) mismatches++;
    }
  }
  assert.is(mismatches, 0);
});

test('rgbToRgba adds opaque alpha and round-trips opaque images', () => {
  const rgb = { data: new Uint8Array([1, 2, 3, 4, 5, 6]), width: 1, height: 2 };
  const rgba = rgbToRgba(rgb);
  assert.ok(rgba.data instanceof Uint8ClampedArray);
  assert.equal(Array.from(rgba.data), [1, 2, 3, 255, 4, 5, 6, 255]);
  assert.equal(Array.from(rgbaToRgb(rgba).data), Array.from(rgb.data));
});

test('rgbaToRgb rejects malformed images naming the field', () => {
  throwsOption(() => rgbaToRgb({ data: new Uint8ClampedArray(7), width: 1, height: 2 }), RangeError, /^image\.data\.length must be width \* height \* 4 = 8 \(received 7\)$/);
  throwsOption(() => rgbaToRgb({ data: new Uint8ClampedArray(4), width: 0, height: 1 }), RangeError, /^image\.width must be a positive integer \(received 0\)$/);
  throwsOption(() => rgbaToRgb({ data: [1, 2, 3, 4] as unknown as Uint8Array, width: 1, height: 1 }), TypeError, /^image\.data must be a Uint8ClampedArray or Uint8Array of RGBA bytes/);
  throwsOption(() => rgbaToRgb(null as never, 'frame'), TypeError, /^frame must be an ImageData or \{ data, width, height \} RGBA object \(received null\)$/);
});

test('checkRgbImage: Uint8Array data of width * height * 3 bytes, named by path', () => {
  checkRgbImage({ data: new Uint8Array(12), width: 2, height: 2 });
  throwsOption(() => checkRgbImage({ data: new Uint8Array(5), width: 2, height: 2 }), RangeError, /^image\.data\.length must be width \* height \* 3 = 12 \(received 5\)$/);
  throwsOption(() => checkRgbImage({ data: new Uint8ClampedArray(12) as never, width: 2, height: 2 }, 'content'), TypeError, /^content\.data must be a Uint8Array of RGB bytes/);
  throwsOption(() => checkRgbImage({ data: new Uint8Array(12), width: 2.5, height: 2 }), RangeError, /^image\.width must be a positive integer \(received 2\.5\)$/);
  throwsOption(() => checkRgbImage({ data: new Uint8Array(12), width: 2, height: '2' as never }), TypeError, /^image\.height must be a positive integer \(received "2"\)$/);
});

test('checkHwcImage reads the channel count from the image', () => {
  checkHwcImage({ data: new Float32Array(2 * 3 * 4), width: 2, height: 3, channels: 4 });
  throwsOption(() => checkHwcImage({ data: new Float32Array(6), width: 2, height: 1, channels: 0 }), RangeError, /^image\.channels must be a positive integer \(received 0\)$/);
  throwsOption(() => checkHwcImage({ data: new Float64Array(5), width: 2, height: 1, channels: 3 }, 'reference'), RangeError, /^reference\.data\.length must be width \* height \* channels = 6 \(received 5\)$/);
  throwsOption(() => checkHwcImage({ data: new Int16Array(6) as never, width: 2, height: 1, channels: 3 }), TypeError, /^image\.data must be a Uint8Array, Uint8ClampedArray, Float32Array or Float64Array/);
});

test('checkPixels with several channel counts returns the one the length matches, and lists them all when none does', () => {
  const layout = { channels: [3, 4], isData: isByteArray, data: 'bytes', image: 'pixels' } as const;
  assert.is(checkPixels({ data: new Uint8Array(2 * 2 * 3), width: 2, height: 2 }, 'input', layout), 3);
  assert.is(checkPixels({ data: new Uint8ClampedArray(2 * 2 * 4), width: 2, height: 2 }, 'input', layout), 4);
  throwsOption(() => checkPixels({ data: new Uint8Array(5), width: 2, height: 2 }, 'input', layout), RangeError, /^input\.data\.length must be width \* height \* 3 = 12 or width \* height \* 4 = 16 \(received 5\)$/);
  throwsOption(() => checkPixels({ data: new Uint8Array(5), width: 0, height: 2 }, '', layout), RangeError, /^width must be a positive integer/);
});

test.run();
