/**
 * @file The image bytes of an upload, however a client sends them: the raw
 * body with an image media type (`curl --data-binary`, fetch), the raw body
 * as `application/octet-stream` (the format is read from the bytes), or a
 * `multipart/form-data` form (`curl -F image=@photo.jpg`, an HTML form): the
 * field named `image`, else the first file in the form. The body is read
 * with a byte limit in every case. No `node:` imports (edge runtimes).
 */
import { perceptualError } from '../errors.js';
import { tooLargeError, unsupportedTypeError } from './http-errors.js';
import { IMAGE_MEDIA_TYPES } from './image-codec.js';

/** Media types an upload may carry (the image types, then the two containers). */
export const UPLOAD_MEDIA_TYPES: readonly string[] = Object.freeze([...Object.keys(IMAGE_MEDIA_TYPES), 'application/octet-stream', 'multipart/form-data']);

/**
 * The uploaded image's bytes and the media type it was declared with (null
 * when the client left the format to the bytes: octet-stream or a form file
 * without an image type).
 * @throws HttpError 415 for another media type, 413 over `maxBytes`; PerceptualError E_IMAGE_DECODE (400) for a form without a file
 */
export async function readUploadedImage(request: Request, maxBytes: number): Promise<{ bytes: Uint8Array; declared: string | null }> {
  const contentType = request.headers.get('content-type') ?? '';
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  if (!UPLOAD_MEDIA_TYPES.includes(mediaType)) throw unsupportedTypeError(mediaType, UPLOAD_MEDIA_TYPES);
  const bytes = await readBody(request, maxBytes);
  if (mediaType === 'application/octet-stream') return { bytes, declared: null };
  if (mediaType !== 'multipart/form-data') return { bytes, declared: mediaType };
  let form: FormData;
  try {
    form = await new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': contentType } }).formData();
  } catch (error) {
    throw perceptualError('E_IMAGE_DECODE', `The multipart/form-data body could not be parsed (${(error as Error).message}). Send the image as a file field named "image".`);
  }
  const field = form.get('image');
  const file = field instanceof Blob ? field : [...form.values()].find((value): value is File => value instanceof Blob);
  if (file === undefined) throw perceptualError('E_IMAGE_DECODE', 'The form holds no file. Send the image as a file field named "image" (curl -F image=@photo.jpg).');
  const type = file.type.toLowerCase();
  return { bytes: new Uint8Array(await file.arrayBuffer()), declared: Object.hasOwn(IMAGE_MEDIA_TYPES, type) ? type : null };
}

/**
 * Reads the body with a byte limit: Content-Length is checked first (no byte
 * read), then bytes are counted as they stream in (chunked uploads carry no
 * length) and reading stops at the first byte over the limit.
 */
async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const fix = 'Send a smaller image or start the service with a larger --max-body-mb.';
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLargeError('The request body (Content-Length)', Number(declared), maxBytes, fix);
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLargeError('The request body', `over ${maxBytes} bytes`, maxBytes, fix);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
