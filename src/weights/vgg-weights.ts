/**
 * @file One entry point for VGG weight files: detects the format by its
 * magic bytes (HDF5 signature for Keras, otherwise safetensors for
 * torchvision/timm) and dispatches to the importer (SPEC section 6).
 */
import { open, readFile } from 'node:fs/promises';
import { perceptualError } from '../errors.js';
import type { VggNetwork } from '../networks/vgg-layers.js';
import type { VggWeights } from '../networks/vgg-weights.js';
import { parseTorchvisionVgg } from './torchvision-vgg.js';

/** `\x89HDF\r\n\x1a\n`, the HDF5 superblock signature. */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a] as const;

/** The weight file formats we import. */
export type VggWeightsFormat = 'keras-hdf5' | 'safetensors';

/** Options of loadVggWeights. */
export interface LoadVggWeightsOptions {
  /** Which network the file holds; inferred from its keys when omitted. */
  network?: VggNetwork;
}

/**
 * Detects a weight file's format from its first bytes.
 * @throws PerceptualError E_IO when the file cannot be read
 */
export async function detectVggWeightsFormat(path: string): Promise<VggWeightsFormat> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw perceptualError('E_IO', `${path}: cannot open the weights file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Check the --weights path.`, error);
  }
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    return bytesRead === 8 && HDF5_SIGNATURE.every((b, i) => head[i] === b) ? 'keras-hdf5' : 'safetensors';
  } finally {
    await handle.close();
  }
}

/**
 * Loads VGG weights from a Keras notop HDF5 file or a torchvision/timm
 * safetensors state dict, converting kernels to HWIO.
 * @example
 *   const weights = await loadVggWeights(cachedVggWeightsPath('vgg16'));
 * @throws PerceptualError E_IO (unreadable), E_WEIGHTS_FORMAT (truncated,
 *   wrong dtype, unknown format) or E_WEIGHTS_MISMATCH (missing layer, wrong shape)
 */
export async function loadVggWeights(path: string, options: LoadVggWeightsOptions = {}): Promise<VggWeights> {
  const format = await detectVggWeightsFormat(path);
  // h5wasm (the HDF5 library in WASM) loads only when a Keras file is read, not with `import 'perceptual'`.
  if (format === 'keras-hdf5') return (await import('./keras-vgg.js')).readKerasVgg(path, options.network);
  const bytes = await readFile(path);
  return parseTorchvisionVgg(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path, options.network);
}
