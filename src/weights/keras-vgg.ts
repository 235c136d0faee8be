/**
 * @file Imports the Keras VGG16/VGG19 "notop" HDF5 files (SPEC section 6),
 * e.g. `vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`: one group per
 * layer (`block3_conv2`) holding HWIO kernel and bias datasets, named
 * `block3_conv2_W_1:0` / `block3_conv2_b_1:0` in the published files or
 * `kernel:0` / `bias:0` in newer saves, where Keras nests them one group
 * deeper (`/block3_conv2/block3_conv2/kernel:0`). Both layouts are read.
 *
 * HDF5 is read with h5wasm (the HDF5 C library compiled to WebAssembly;
 * its Node build reads the real file system), because no pure-JS reader
 * covers HDF5's B-trees and chunking reliably.
 */
import { existsSync } from 'node:fs';
import h5wasm from 'h5wasm/node';
import { perceptualError } from '../errors.js';
import { firstLine } from '../first-line.js';
import { VGG_CONVS, type VggConvSpec, type VggNetwork } from '../networks/vgg-layers.js';
import type { VggConvWeights, VggWeights } from '../networks/vgg-weights.js';

type H5Group = InstanceType<typeof h5wasm.Group>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

const KERNEL_NAME = /(?:_W(?:_\d+)?|kernel):0$/;
const BIAS_NAME = /(?:_b(?:_\d+)?|bias):0$/;

/** Finds the kernel and bias datasets of a layer group, directly inside or one group deeper. */
function findDatasets(group: H5Group, path: string): { kernel?: [string, H5Dataset]; bias?: [string, H5Dataset] } {
  const found: { kernel?: [string, H5Dataset]; bias?: [string, H5Dataset] } = {};
  const visit = (g: H5Group, prefix: string, depth: number) => {
    for (const key of g.keys()) {
      const entity = g.get(key);
      const full = `${prefix}/${key}`;
      if (entity instanceof h5wasm.Dataset) {
        if (KERNEL_NAME.test(key)) found.kernel ??= [full, entity];
        else if (BIAS_NAME.test(key)) found.bias ??= [full, entity];
      } else if (entity instanceof h5wasm.Group && depth < 2) {
        visit(entity, full, depth + 1);
      }
    }
  };
  visit(group, path, 0);
  return found;
}

function readFloats(source: string, name: string, dataset: H5Dataset, expected: readonly number[], what: string): Float32Array {
  const meta = dataset.metadata;
  // h5wasm type 1 is H5T_FLOAT; anything else (integers, strings) is not a weight.
  if (meta.type !== 1 || (meta.size !== 4 && meta.size !== 8 && meta.size !== 2)) {
    throw perceptualError('E_WEIGHTS_FORMAT', `${source}: dataset ${name} has dtype ${JSON.stringify(dataset.dtype)}, expected float32 (<f). Re-download the Keras weights file.`);
  }
  const shape = dataset.shape ?? [];
  if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
    throw perceptualError('E_WEIGHTS_MISMATCH', `${source}: ${what} dataset ${name} has shape [${shape.join(',')}], expected [${expected.join(',')}]. Check that the file holds the matching Keras VGG weights.`);
  }
  const value = dataset.value;
  if (!(value instanceof Float32Array || value instanceof Float64Array)) {
    throw perceptualError('E_WEIGHTS_FORMAT', `${source}: dataset ${name} could not be read as floats. Re-download the Keras weights file.`);
  }
  return value instanceof Float32Array ? value : Float32Array.from(value);
}

/** The innermost HDF5 diagnostic ("truncated file: eof = ...") rather than the whole error stack. */
function hdf5Reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const details = [...text.matchAll(/\(\): (.+)$/gm)].map((m) => m[1]!.trim());
  return details[details.length - 1] ?? (firstLine(error) || 'unknown error');
}

/**
 * Reads Keras VGG notop weights from an HDF5 file.
 * @param path the .h5 file
 * @param network vgg16 or vgg19; inferred from the groups (block3_conv4 exists only in VGG-19) when omitted
 * @throws PerceptualError E_IO (missing file), E_WEIGHTS_FORMAT (not HDF5,
 *   truncated, non-float dataset) or E_WEIGHTS_MISMATCH (missing layer, wrong
 *   shape), naming the file, the dataset and the expected vs actual shape
 */
export async function readKerasVgg(path: string, network?: VggNetwork): Promise<VggWeights> {
  if (!existsSync(path)) throw perceptualError('E_IO', `${path}: no such file. Check the --weights path.`);
  const module = await h5wasm.ready;
  // Make HDF5 failures throw (with the diagnostic text) instead of printing the error stack to stderr.
  module.activate_throwing_error_handler();
  let file: InstanceType<typeof h5wasm.File>;
  try {
    file = new h5wasm.File(path, 'r');
  } catch (error) {
    throw perceptualError('E_WEIGHTS_FORMAT', `${path}: not a readable HDF5 file (${hdf5Reason(error)}); it may be truncated or corrupt. Re-download it (perceptual weights fetch vgg16|vgg19).`, error);
  }
  try {
    const keys = new Set(file.keys());
    const net = network ?? (keys.has('block3_conv4') ? 'vgg19' : 'vgg16');
    const convs: Record<string, VggConvWeights> = {};
    let missing: VggConvSpec | undefined;
    for (const spec of VGG_CONVS[net]) {
      const group = keys.has(spec.kerasName) ? file.get(spec.kerasName) : null;
      if (!(group instanceof h5wasm.Group)) {
        missing ??= spec;
        continue;
      }
      if (missing) {
        throw perceptualError('E_WEIGHTS_MISMATCH', `${path}: group ${spec.kerasName} is present but ${missing.kerasName} is missing; ${net} needs every conv before the deepest one. Re-download the Keras weights file.`);
      }
      const { kernel, bias } = findDatasets(group, `/${spec.kerasName}`);
      if (!kernel || !bias) {
        throw perceptualError('E_WEIGHTS_MISMATCH', `${path}: group ${spec.kerasName} has no ${kernel ? 'bias' : 'kernel'} dataset (expected ${spec.kerasName}_${kernel ? 'b' : 'W'}_1:0 or ${kernel ? 'bias' : 'kernel'}:0). Re-download the Keras weights file.`);
      }
      convs[spec.name] = {
        kernel: readFloats(path, kernel[0], kernel[1], [3, 3, spec.inChannels, spec.outChannels], `${spec.kerasName} kernel`),
        bias: readFloats(path, bias[0], bias[1], [spec.outChannels], `${spec.kerasName} bias`),
        shape: [3, 3, spec.inChannels, spec.outChannels],
      };
    }
    if (Object.keys(convs).length === 0) {
      throw perceptualError('E_WEIGHTS_MISMATCH', `${path}: no ${net} layer groups found (expected block1_conv1 ...; found ${[...keys].slice(0, 5).join(', ') || 'none'}). Pass a Keras VGG16/VGG19 notop weights file.`);
    }
    return { network: net, preprocessing: 'caffe', source: path, convs };
  } catch (error) {
    if ((error as { code?: string }).code) throw error;
    throw perceptualError('E_WEIGHTS_FORMAT', `${path}: could not read the HDF5 file (${hdf5Reason(error)}); it may be truncated or corrupt. Re-download it.`, error);
  } finally {
    file.close();
  }
}
