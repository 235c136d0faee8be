/**
 * @file The Node image codec of the service, on sharp (libvips), with the
 * decoding conventions of src/data/image-io.ts (EXIF orientation, sRGB, grey
 * to RGB, alpha over white) but straight to 8-bit RGB: the pool takes bytes,
 * so no tensor is made in the HTTP process.
 */
import { decodeToRgb } from '../data/image-io.js';
import { loadSharp } from '../data/sharp.js';
import { perceptualError } from '../errors.js';
import { firstLine } from '../first-line.js';
import type { RgbImage } from '../pixels.js';
import type { CodecFormat, ImageCodec, ImageProbe } from './image-codec.js';

/**
 * The sharp codec. `probe` reads only the header (sharp `metadata()`), so a
 * pixel limit can be checked before any pixel is decoded.
 * @example createHandler({ models, codec: sharpCodec })
 */
export const sharpCodec: ImageCodec = Object.freeze({
  async probe(bytes: Uint8Array): Promise<ImageProbe> {
    try {
      const meta = await (await loadSharp())(bytes, { failOn: 'error' }).metadata();
      if (!meta.format || !meta.width || !meta.height) throw new Error('no format or size in the header');
      return { format: meta.format, width: meta.width, height: meta.height };
    } catch (error) {
      throw decodeError(error);
    }
  },

  async decode(bytes: Uint8Array): Promise<RgbImage> {
    try {
      return await decodeToRgb(bytes);
    } catch (error) {
      throw decodeError(error);
    }
  },

  async encode(image: RgbImage, options: { format: CodecFormat; quality: number }): Promise<Uint8Array> {
    const pipeline = (await loadSharp())(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
    const encoded =
      options.format === 'png'
        ? pipeline.png()
        : options.format === 'jpeg'
          ? pipeline.jpeg({ quality: options.quality, chromaSubsampling: options.quality >= 90 ? '4:4:4' : '4:2:0' })
          : pipeline.webp({ quality: options.quality });
    const buffer = await encoded.toBuffer();
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  },
});

function decodeError(error: unknown): Error {
  return perceptualError('E_IMAGE_DECODE', `Cannot decode the request body as an image: ${firstLine(error)}. Send a PNG, JPEG or WebP file as the body.`, error);
}
