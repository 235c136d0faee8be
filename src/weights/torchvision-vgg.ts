/**
 * @file Imports a torchvision/timm VGG state dict saved as safetensors
 * (SPEC section 6): keys `features.N.weight` (OIHW) and `features.N.bias`,
 * N the torchvision index of SPEC section 2; every other key (the
 * classifier) is ignored and never decoded.
 */
import { perceptualError } from '../errors.js';
import { VGG_CONVS, type VggNetwork } from '../networks/vgg-layers.js';
import type { VggConvWeights, VggWeights } from '../networks/vgg-weights.js';
import { parseSafetensors, type SafetensorsFile } from './safetensors.js';

/**
 * Reorders a PyTorch OIHW kernel to HWIO: element [o, i, h, w] lands at [h, w, i, o].
 * @param shape the OIHW shape
 */
export function oihwToHwio(data: Float32Array, shape: readonly [number, number, number, number]): Float32Array {
  const [o, i, h, w] = shape;
  const out = new Float32Array(data.length);
  for (let oo = 0; oo < o; oo++)
    for (let ii = 0; ii < i; ii++)
      for (let hh = 0; hh < h; hh++)
        for (let ww = 0; ww < w; ww++) out[((hh * w + ww) * i + ii) * o + oo] = data[((oo * i + ii) * h + hh) * w + ww]!;
  return out;
}

/**
 * Guesses VGG-16 vs VGG-19 from the keys: index 16 is a conv (conv3_4) only in
 * VGG-19 and a pool in VGG-16. A file that stops before it is read as VGG-16
 * (both networks agree up to conv3_3).
 */
export function inferTorchvisionNetwork(keys: Iterable<string>): VggNetwork {
  for (const key of keys) if (key === 'features.16.weight') return 'vgg19';
  return 'vgg16';
}

/**
 * Converts a parsed torchvision state dict to VggWeights (HWIO).
 * Reads the longest prefix of convolutions present.
 * @throws PerceptualError E_WEIGHTS_MISMATCH naming the file, the key and the
 *   expected vs actual shape; or a missing bias / a gap before a present conv.
 */
export function vggWeightsFromTorchvision(file: SafetensorsFile, source: string, network?: VggNetwork): VggWeights {
  const net = network ?? inferTorchvisionNetwork(file.tensors.keys());
  const convs: Record<string, VggConvWeights> = {};
  let missing: string | undefined;
  for (const spec of VGG_CONVS[net]) {
    const weightKey = `features.${spec.index}.weight`;
    const biasKey = `features.${spec.index}.bias`;
    const weight = file.tensors.get(weightKey);
    if (!weight) {
      missing ??= `${weightKey} (${spec.name})`;
      continue;
    }
    if (missing) {
      throw perceptualError('E_WEIGHTS_MISMATCH', `${source}: ${weightKey} (${spec.name}) is present but ${missing} is missing; a ${net} state dict needs every conv before the deepest one. Re-export the full model.features state dict.`);
    }
    const expected = [spec.outChannels, spec.inChannels, 3, 3];
    if (weight.shape.length !== 4 || weight.shape.some((d, k) => d !== expected[k])) {
      throw perceptualError('E_WEIGHTS_MISMATCH', `${source}: ${weightKey} (${spec.name}) has shape [${weight.shape.join(',')}], expected OIHW [${expected.join(',')}] for ${net}. Check that the file is a torchvision ${net} state dict (or pass the right network).`);
    }
    const bias = file.tensors.get(biasKey);
    if (!bias) throw perceptualError('E_WEIGHTS_MISMATCH', `${source}: ${biasKey} (${spec.name} bias) is missing. Re-export the state dict with biases (torchvision VGG convs have them).`);
    if (bias.shape.length !== 1 || bias.shape[0] !== spec.outChannels) {
      throw perceptualError('E_WEIGHTS_MISMATCH', `${source}: ${biasKey} (${spec.name} bias) has shape [${bias.shape.join(',')}], expected [${spec.outChannels}] for ${net}. Check that the file is a torchvision ${net} state dict.`);
    }
    convs[spec.name] = {
      kernel: oihwToHwio(weight.data, expected as [number, number, number, number]),
      bias: Float32Array.from(bias.data),
      shape: [3, 3, spec.inChannels, spec.outChannels],
    };
  }
  if (Object.keys(convs).length === 0) {
    throw perceptualError('E_WEIGHTS_MISMATCH', `${source}: no ${net} weights found: key features.0.weight (conv1_1) is missing. Pass a torchvision/timm VGG state dict saved with safetensors (keys features.N.weight / features.N.bias).`);
  }
  return { network: net, preprocessing: 'torchvision', source, convs };
}

/**
 * Parses a torchvision/timm VGG safetensors file. Only `features.*` tensors
 * are decoded, so a full VGG-16 checkpoint (528 MB, mostly classifier) does
 * not cost another 500 MB of float32.
 * @param bytes the whole file
 * @param source the path, for messages
 * @throws PerceptualError E_WEIGHTS_FORMAT (not safetensors, truncated, bad dtype)
 *   or E_WEIGHTS_MISMATCH (missing key, wrong shape)
 */
export function parseTorchvisionVgg(bytes: Uint8Array, source: string, network?: VggNetwork): VggWeights {
  return vggWeightsFromTorchvision(parseSafetensors(onlyFeatures(bytes), source), source, network);
}

/** Rewrites the file keeping only `features.*` entries (and their bytes); leaves malformed files to parseSafetensors. */
function onlyFeatures(bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength < 8) return bytes;
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + headerLength > bytes.byteLength) return bytes;
  let header: Record<string, { data_offsets?: unknown }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    return bytes;
  }
  const kept = Object.entries(header ?? {}).filter(([name]) => name.startsWith('features.'));
  const offsets = kept.map(([, entry]) => entry?.data_offsets);
  if (kept.length === 0 || !offsets.every((o) => Array.isArray(o) && o.length === 2 && o.every(Number.isInteger))) return bytes;
  const begin = Math.min(...offsets.map((o) => (o as number[])[0]!));
  const end = Math.max(...offsets.map((o) => (o as number[])[1]!));
  const filtered: Record<string, unknown> = {};
  for (const [name, entry] of kept) {
    const [b, e] = entry.data_offsets as [number, number];
    filtered[name] = { ...entry, data_offsets: [b - begin, e - begin] };
  }
  const json = new TextEncoder().encode(JSON.stringify(filtered));
  const dataStart = 8 + headerLength;
  const available = Math.max(0, Math.min(end, bytes.byteLength - dataStart) - begin);
  const out = new Uint8Array(8 + json.byteLength + available);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(bytes.subarray(dataStart + begin, dataStart + begin + available), 8 + json.byteLength);
  return out;
}
