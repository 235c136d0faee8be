/**
 * @file The safetensors container (https://github.com/huggingface/safetensors):
 * 8-byte little-endian header length N, N bytes of JSON header, then the raw
 * little-endian tensor bytes. Used for model files (SPEC section 5) and for
 * torchvision/timm VGG state dicts (SPEC section 6). Parsing checks every
 * offset, so a truncated or malformed file fails with a message naming the
 * file and the tensor.
 */
import { perceptualError } from '../errors.js';
import { fromBfloat16Bits, fromHalfBits, toHalfBits } from './float16.js';

/** The dtypes we decode; everything is handed out as float32. */
export const SAFETENSORS_DTYPES = Object.freeze({ F32: 4, F16: 2, BF16: 2, F64: 8 } as const);
export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPES;

/** One decoded tensor: row-major values as float32. */
export interface SafetensorsEntry {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface SafetensorsFile {
  readonly tensors: ReadonlyMap<string, SafetensorsEntry>;
  /** `__metadata__` (string to string); empty if absent. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Header lengths above this are rejected as corrupt (the format caps it at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

function fail(source: string, problem: string): never {
  throw perceptualError('E_WEIGHTS_FORMAT', `${source}: not a valid safetensors file: ${problem}. Re-export or re-download the file.`);
}

/**
 * Parses and validates a safetensors file.
 * @param bytes the whole file
 * @param source a name for error messages (usually the path)
 * @throws PerceptualError E_WEIGHTS_FORMAT naming the file and the problem
 */
export function parseSafetensors(bytes: Uint8Array, source: string): SafetensorsFile {
  if (bytes.byteLength < 8) fail(source, `file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.byteLength) {
    fail(source, `header length ${headerLength} exceeds the file size ${bytes.byteLength} (truncated?)`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    fail(source, `header is not UTF-8 JSON (${(error as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail(source, 'header is not a JSON object');

  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [key, text] of Object.entries((value ?? {}) as Record<string, unknown>)) {
        if (typeof text !== 'string') fail(source, `__metadata__.${key} is not a string`);
        metadata[key] = text;
      }
      continue;
    }
    const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = entry?.dtype;
    if (typeof dtype !== 'string' || !(dtype in SAFETENSORS_DTYPES)) {
      fail(source, `tensor '${name}' has dtype ${JSON.stringify(dtype)}; supported: ${Object.keys(SAFETENSORS_DTYPES).join(', ')}`);
    }
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(source, `tensor '${name}' has an invalid shape`);
    const offsets = entry.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      fail(source, `tensor '${name}' has invalid data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const width = SAFETENSORS_DTYPES[dtype as SafetensorsDtype];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end > dataLength) fail(source, `tensor '${name}' data [${begin}, ${end}) lies outside the ${dataLength} data bytes (truncated?)`);
    if (end - begin !== count * width) fail(source, `tensor '${name}' holds ${end - begin} bytes but ${dtype} [${(shape as number[]).join(',')}] needs ${count * width}`);
    tensors.set(name, {
      dtype: dtype as SafetensorsDtype,
      shape: shape as number[],
      data: decode(bytes, dataStart + begin, count, dtype as SafetensorsDtype),
    });
  }
  return { tensors, metadata };
}

function decode(bytes: Uint8Array, offset: number, count: number, dtype: SafetensorsDtype): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * SAFETENSORS_DTYPES[dtype]);
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = fromHalfBits(view.getUint16(2 * i, true));
      break;
    case 'BF16':
      for (let i = 0; i < count; i++) out[i] = fromBfloat16Bits(view.getUint16(2 * i, true));
      break;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      break;
  }
  return out;
}

/** A tensor to write: row-major float32 values and the shape. */
export interface SafetensorsInput {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * Serialises tensors (in the given key order) with `__metadata__`.
 * @param dtype storage type; F16 halves the size (values round to nearest even)
 */
export function serializeSafetensors(
  tensors: Readonly<Record<string, SafetensorsInput>>,
  options: { dtype?: 'F32' | 'F16'; metadata?: Readonly<Record<string, string>> } = {},
): Uint8Array {
  const dtype = options.dtype ?? 'F32';
  const width = SAFETENSORS_DTYPES[dtype];
  const header: Record<string, unknown> = {};
  if (options.metadata) header.__metadata__ = { ...options.metadata };
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    if (count !== tensor.data.length) {
      throw perceptualError('E_TENSOR_SHAPE', `serializeSafetensors: tensor '${name}' has ${tensor.data.length} values but shape [${tensor.shape.join(',')}] needs ${count}`);
    }
    header[name] = { dtype, shape: [...tensor.shape], data_offsets: [offset, offset + count * width] };
    offset += count * width;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces to a multiple of 8 so the data is aligned (allowed by the format).
  const headerBytes = new Uint8Array(json.byteLength + ((8 - (json.byteLength % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.byteLength;
  for (const tensor of Object.values(tensors)) {
    for (const value of tensor.data) {
      if (dtype === 'F32') view.setFloat32(position, value, true);
      else view.setUint16(position, toHalfBits(value), true);
      position += width;
    }
  }
  return out;
}
