/**
 * The plain-JavaScript codec of the edge service against sharp (libvips),
 * the Node codec: the same pixels for every PNG colour type and bit depth
 * sharp writes, JPEG within decoder rounding, every EXIF orientation, and
 * the refusals (WebP in, JPEG out, not an image).
 */
import sharp, { type PngOptions } from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCode } from '../../src/errors.js';
import type { RgbImage } from '../../src/pixels.js';
import { HttpError } from '../../src/serve/http-errors.js';
import { sharpCodec } from '../../src/serve/image-codec.node.js';
import { portableImageCodec } from '../../src/serve/portable-image-codec.js';
import { encode, maxDiff, rejects, testImage } from './fixtures.js';

const image = testImage(37, 23);

/** RGBA with a few alpha levels, so compositing over white is exercised. */
function withAlpha(rgb: RgbImage): Uint8Array {
  const rgba = new Uint8Array(rgb.width * rgb.height * 4);
  for (let p = 0; p < rgb.width * rgb.height; p += 1) {
    rgba.set(rgb.data.subarray(p * 3, p * 3 + 3), p * 4);
    rgba[p * 4 + 3] = [255, 0, 128, 200][p % 4]!;
  }
  return rgba;
}

function meanDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

async function both(bytes: Uint8Array): Promise<{ ours: RgbImage; theirs: RgbImage }> {
  return { ours: await portableImageCodec.decode(bytes), theirs: await sharpCodec.decode(bytes) };
}

const raw = (data: Uint8Array, channels: 1 | 2 | 3 | 4, width = image.width, height = image.height) => sharp(data, { raw: { width, height, channels } });

const PNGS: Record<string, () => Promise<Buffer>> = {
  'RGB 8-bit': () => raw(image.data, 3).png().toBuffer(),
  'RGBA 8-bit (alpha over white)': () => raw(withAlpha(image), 4).png().toBuffer(),
  'grey 8-bit': () => raw(image.data, 3).toColourspace('b-w').png().toBuffer(),
  'grey + alpha': () => raw(withAlpha(image), 4).toColourspace('b-w').png().toBuffer(),
  'RGB 16-bit': () => raw(image.data, 3).toColourspace('rgb16').png().toBuffer(),
  'palette, 256 colours': () => raw(image.data, 3).png({ palette: true, colours: 256, dither: 0 }).toBuffer(),
  'palette, 4 colours (2-bit indices)': () => raw(image.data, 3).png({ palette: true, colours: 4, dither: 0 }).toBuffer(),
  'grey 1-bit': () => raw(image.data, 3).toColourspace('b-w').png({ palette: false, colours: 2, bitdepth: 1 } as PngOptions).toBuffer(),
  'interlaced (Adam7)': () => raw(image.data, 3).png({ progressive: true }).toBuffer(),
};

for (const [name, make] of Object.entries(PNGS)) {
  test(`PNG ${name} decodes to sharp's RGB (within one level)`, async () => {
    const { ours, theirs } = await both(await make());
    assert.equal([ours.width, ours.height], [theirs.width, theirs.height]);
    assert.ok(maxDiff(ours.data, theirs.data) <= 1, `max difference ${maxDiff(ours.data, theirs.data)}`);
  });
}

test('PNG it writes is the image exactly, as sharp reads it', async () => {
  const png = await portableImageCodec.encode(image, { format: 'png', quality: 90 });
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.equal([info.width, info.height, info.channels], [image.width, image.height, 3]);
  assert.equal(maxDiff(new Uint8Array(data), image.data), 0);
});

test('JPEG decodes like libjpeg within decoder rounding', async () => {
  const { ours, theirs } = await both(await raw(image.data, 3).jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer());
  assert.equal([ours.width, ours.height], [image.width, image.height]);
  assert.ok(meanDiff(ours.data, theirs.data) < 1, `mean difference ${meanDiff(ours.data, theirs.data)}`);
  assert.ok(maxDiff(ours.data, theirs.data) <= 8, `max difference ${maxDiff(ours.data, theirs.data)}`);
});

test('every EXIF orientation is applied as sharp applies it (probe reports the displayed size)', async () => {
  // Four flat quadrants of different colours: a wrong rotation or flip moves whole quadrants.
  const width = 48;
  const height = 32;
  const quadrants = new Uint8Array(width * height * 3);
  const colours = [[230, 20, 20], [20, 200, 20], [20, 20, 220], [240, 240, 30]];
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) quadrants.set(colours[(y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1)]!, (y * width + x) * 3);
  }
  for (let orientation = 1; orientation <= 8; orientation += 1) {
    const jpeg = await raw(quadrants, 3, width, height).jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).withMetadata({ orientation }).toBuffer();
    const probe = await portableImageCodec.probe(jpeg);
    const { ours, theirs } = await both(jpeg);
    const displayed = orientation >= 5 ? [height, width] : [width, height];
    assert.equal([probe.format, probe.width, probe.height], ['jpeg', ...displayed], `orientation ${orientation}: probe`);
    assert.equal([ours.width, ours.height], [theirs.width, theirs.height], `orientation ${orientation}: size`);
    assert.ok(meanDiff(ours.data, theirs.data) < 2, `orientation ${orientation}: mean difference ${meanDiff(ours.data, theirs.data)}`);
  }
});

test('probe reads the format and size of PNG, JPEG, WebP and GIF without decoding', async () => {
  for (const format of ['png', 'jpeg', 'webp', 'gif'] as const) {
    assert.equal(await portableImageCodec.probe(await encode(image, format)), { format, width: image.width, height: image.height });
  }
});

test('WebP is refused with 415 naming what this codec reads; JPEG output with E_OPTIONS; junk with E_IMAGE_DECODE', async () => {
  await rejects(portableImageCodec.decode(await encode(image, 'webp')), (e) => e instanceof HttpError && e.code === 'E_UNSUPPORTED_TYPE' && /image\/webp.*PNG and JPEG/.test(e.message));
  await rejects(portableImageCodec.encode(image, { format: 'jpeg', quality: 90 }), (e) => errorCode(e) === 'E_OPTIONS' && /writes PNG only/.test(e.message));
  await rejects(portableImageCodec.probe(new TextEncoder().encode('not an image at all')), (e) => errorCode(e) === 'E_IMAGE_DECODE');
  const png = await encode(image, 'png');
  await rejects(portableImageCodec.decode(png.subarray(0, 60)), (e) => errorCode(e) === 'E_IMAGE_DECODE');
});

test.run();
