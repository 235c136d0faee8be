import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkImageHeader } from '../../src/data/image-header.js';
import { decodeImage, decodeRgbImage, DEFAULT_MAX_PIXELS } from '../../src/data/image-io.js';
import { useBackend } from '../helpers/backends.js';
import { rejection } from '../helpers/option-errors.js';

/** An animation of `frames` 8x6 frames, each a flat grey (frame i: 40 i + 20). */
async function animated(format: 'gif' | 'webp', frames: number): Promise<Uint8Array> {
  const stills = await Promise.all(
    Array.from({ length: frames }, (_, i) => sharp(Buffer.alloc(8 * 6 * 3, 40 * i + 20), { raw: { width: 8, height: 6, channels: 3 } }).png().toBuffer()),
  );
  const joined = frames === 1 ? sharp(stills[0]) : sharp(stills, { join: { animated: true } });
  return format === 'gif' ? joined.gif().toBuffer() : joined.webp({ lossless: true }).toBuffer();
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** A PNG whose header says `width` x `height` (RGB, 8 bit) with almost no pixel data: header-only tests of huge images. */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.alloc(64))), pngChunk('IEND', Buffer.alloc(0))]);
}

test.before(async () => {
  await useBackend('cpu');
});

test('an animated GIF or WebP is read as its first frame, with a warning naming the frame count', async () => {
  for (const format of ['gif', 'webp'] as const) {
    const bytes = await animated(format, 3);
    const warnings: string[] = [];
    const image = await decodeImage(bytes, `anim.${format}`, { onWarning: (m) => warnings.push(m) });
    assert.equal(image.shape, [1, 6, 8, 3], 'one frame, not the frames stacked');
    assert.ok(Math.abs((await image.data())[0]! - 20 / 255) < 1e-6, 'the first frame');
    image.dispose();
    assert.equal(warnings, [`warning: 'anim.${format}' is an animated ${format.toUpperCase()} with 3 frames; only its first frame is read. Extract the frame you want as a still image to use another.`]);
    const rgbWarnings: string[] = [];
    const rgb = await decodeRgbImage(bytes, `anim.${format}`, { onWarning: (m) => rgbWarnings.push(m) });
    assert.equal([rgb.width, rgb.height, rgb.data[0]], [8, 6, 20]);
    assert.is(rgbWarnings.length, 1);
  }
  const still: string[] = [];
  (await decodeImage(await animated('gif', 1), 'still.gif', { onWarning: (m) => still.push(m) })).dispose();
  assert.equal(still, [], 'a one-frame GIF is no animation');
});

test('over the pixel limit: E_IMAGE_DECODE naming the size, the limit and --max-pixels, not "Pass a PNG"', async () => {
  const huge = pngHeaderOnly(20000, 15000);
  for (const decode of [decodeImage, decodeRgbImage]) {
    const error = await rejection(() => decode(huge, 'huge.png'));
    assert.is(error.code, 'E_IMAGE_DECODE');
    assert.is(
      error.message,
      `Cannot decode image 'huge.png': it is 20000x15000 = 300000000 pixels, above the limit of ${DEFAULT_MAX_PIXELS} pixels (16383x16383, the default). ` +
        'Raise the limit with --max-pixels 300000000 (options.maxPixels), or downsize the image first.',
    );
  }
  const small = await sharp(Buffer.alloc(8 * 6 * 3, 90), { raw: { width: 8, height: 6, channels: 3 } }).png().toBuffer();
  const lowered = await rejection(() => decodeImage(small, 'small.png', { maxPixels: 40 }));
  assert.match(lowered.message, /it is 8x6 = 48 pixels, above the limit of 40 pixels\. Raise the limit with --max-pixels 48/);
  assert.not.match(lowered.message, /Pass a PNG/);
  (await decodeImage(small, 'small.png', { maxPixels: 48 })).dispose();
  const bad = await rejection(() => checkImageHeader(small, 'small.png', { maxPixels: 0 }));
  assert.match(bad.message, /options\.maxPixels \(--max-pixels\) must be a positive integer \(received 0\)/);
});

test.run();
