import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { preserveColor } from '../../src/infer/preserve-color.js';
import type { RgbImage } from '../../src/pixels.js';

// NTSC YIQ (Gatys et al. 2016 use YIQ), written out here as a second implementation.
const YIQ = [
  [0.299, 0.587, 0.114],
  [0.595716, -0.274453, -0.321263],
  [0.211456, -0.522591, 0.311135],
];
const yiq = (r: number, g: number, b: number): number[] => YIQ.map(([a, c, d]) => a! * r + c! * g + d! * b);

/** Inverse of a 3x3 matrix by cofactors. */
function invert(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m as [[number, number, number], [number, number, number], [number, number, number]];
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}
const RGB = invert(YIQ);

function constant(width: number, height: number, rgb: readonly number[]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = rgb[i % 3]!;
  return { data, width, height };
}

test('constant colours: closed form by hand, chroma of the input, luminance of the stylisation', () => {
  const content = constant(3, 2, [200, 100, 50]);
  const stylised = constant(3, 2, [30, 160, 90]);
  const out = preserveColor(content, stylised);
  // Y_in = 0.299*200 + 0.587*100 + 0.114*50 = 124.2; Y_st = 0.299*30 + 0.587*160 + 0.114*90 = 113.15;
  // out = in + (Y_st - Y_in) = in - 11.05 -> (188.95, 88.95, 38.95) -> rounded (189, 89, 39).
  assert.equal(Array.from(out.data), Array.from(constant(3, 2, [189, 89, 39]).data));
  const [yOut, iOut, qOut] = yiq(189, 89, 39);
  const [, iIn, qIn] = yiq(200, 100, 50);
  const [yStyled] = yiq(30, 160, 90);
  // Rounding each channel by at most 0.5 moves Y by <= 0.5 and I, Q by <= 0.5 * (row's absolute sum) < 0.6.
  assert.ok(Math.abs(yOut! - yStyled!) <= 0.5, `Y ${yOut} vs ${yStyled}`);
  assert.ok(Math.abs(iOut! - iIn!) < 0.6 && Math.abs(qOut! - qIn!) < 0.6, `IQ ${iOut},${qOut} vs ${iIn},${qIn}`);
});

test('matches the full YIQ round trip (Y from the stylisation, I and Q from the input) on random pixels', () => {
  let seed = 12345;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const width = 7, height = 5;
  const content = { data: new Uint8Array(width * height * 3), width, height };
  const stylised = { data: new Uint8Array(width * height * 3), width, height };
  // Mid-range values, so no sample needs clamping.
  for (let i = 0; i < content.data.length; i++) {
    content.data[i] = 64 + Math.floor(random() * 128);
    stylised.data[i] = 96 + Math.floor(random() * 64);
  }
  const out = preserveColor(content, stylised);
  let exact = 0;
  for (let p = 0; p < width * height * 3; p += 3) {
    const [ys] = yiq(stylised.data[p]!, stylised.data[p + 1]!, stylised.data[p + 2]!);
    const [, ic, qc] = yiq(content.data[p]!, content.data[p + 1]!, content.data[p + 2]!);
    for (let c = 0; c < 3; c++) {
      const expected = Math.round(RGB[c]![0]! * ys! + RGB[c]![1]! * ic! + RGB[c]![2]! * qc!);
      const diff = Math.abs(out.data[p + c]! - expected);
      assert.ok(diff <= 1, `pixel ${p / 3} channel ${c}: ${out.data[p + c]} vs ${expected}`);
      if (diff === 0) exact++;
    }
  }
  // Off by one only where float noise meets a .5 rounding tie.
  assert.ok(exact >= width * height * 3 - 2, `${exact} exact samples`);
});

test('samples beyond [0, 255] are clamped', () => {
  // Y_in(255, 0, 0) = 76.245, Y_st(white) = 255: + 178.755 -> (433.8 -> 255, 178.755 -> 179, 179).
  assert.equal(Array.from(preserveColor(constant(1, 1, [255, 0, 0]), constant(1, 1, [255, 255, 255])).data), [255, 179, 179]);
  assert.equal(Array.from(preserveColor(constant(1, 1, [255, 255, 255]), constant(1, 1, [0, 0, 0])).data), [0, 0, 0]);
});

test('inputs are not modified; sizes must match', () => {
  const content = constant(2, 2, [10, 20, 30]);
  const stylised = constant(2, 2, [40, 50, 60]);
  preserveColor(content, stylised);
  assert.equal(Array.from(content.data.slice(0, 3)), [10, 20, 30]);
  assert.equal(Array.from(stylised.data.slice(0, 3)), [40, 50, 60]);
  assert.throws(() => preserveColor(content, constant(4, 4, [0, 0, 0])), /stylised must be the size of the content image, 2x2 .*received "4x4"/);
  assert.throws(() => preserveColor({ data: new Uint8Array(5), width: 2, height: 2 }, stylised), /content\.data\.length must be width \* height \* 3/);
});

test.run();
