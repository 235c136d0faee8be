/**
 * @file The image codec contract of the HTTP handler. The handler never
 * decodes by itself: Node passes `sharpCodec` (image-codec.node.ts), an edge
 * runtime passes one built on its own decoder (`createImageBitmap`,
 * OffscreenCanvas, a WASM codec). Also the media types the service reads.
 */
import type { RgbImage } from '../pixels.js';
import { isOneOf } from '../validate.js';

/** Formats the service reads and writes, by media type. */
export const IMAGE_MEDIA_TYPES = Object.freeze({
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/webp': 'webp',
} as const);
export type ImageMediaType = keyof typeof IMAGE_MEDIA_TYPES;
export type CodecFormat = (typeof IMAGE_MEDIA_TYPES)[ImageMediaType];

/** The media type of each format. */
export const MEDIA_TYPE_BY_FORMAT: Readonly<Record<CodecFormat, ImageMediaType>> = Object.freeze({
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
});

/** The formats the codec writes. */
export const CODEC_FORMATS = Object.freeze(Object.keys(MEDIA_TYPE_BY_FORMAT) as CodecFormat[]);

/** `true` when `value` is a format the codec writes. */
export function isCodecFormat(value: unknown): value is CodecFormat {
  return isOneOf(value, CODEC_FORMATS);
}

/** What a codec learns from an image's header without decoding its pixels. */
export interface ImageProbe {
  /** The sniffed container format (`png`, `jpeg`, `webp`, or anything else the codec names, e.g. `gif`). */
  readonly format: string;
  readonly width: number;
  readonly height: number;
}

/** Decoding and encoding as the handler needs them. */
export interface ImageCodec {
  /**
   * Reads the header only (cheap; used to refuse huge images before decoding).
   * @throws PerceptualError E_IMAGE_DECODE when the bytes are not an image.
   */
  probe(bytes: Uint8Array): Promise<ImageProbe>;
  /**
   * Decodes to 8-bit sRGB RGB: EXIF orientation applied, grey copied to RGB,
   * alpha composited over white (as src/data/image-tensor.ts does).
   * @throws PerceptualError E_IMAGE_DECODE when the bytes are not a readable image.
   */
  decode(bytes: Uint8Array): Promise<RgbImage>;
  /** Encodes 8-bit RGB. `quality` (1..100) applies to JPEG and WebP. */
  encode(image: RgbImage, options: { format: CodecFormat; quality: number }): Promise<Uint8Array>;
}
