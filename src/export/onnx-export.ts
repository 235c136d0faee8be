/**
 * @file Writes any transform network (style, both variants and upsampling
 * modes, or SR; SPEC section 4) as an ONNX model that computes exactly what
 * `transform` computes, so it can be deployed with onnxruntime anywhere and
 * benchmarked against it on the same weights.
 *
 * The graph takes `image`: float32 NHWC [batch, height, width, 3] in [0, 1]
 * (SPEC section 1) with dynamic batch, height and width, and returns `output`
 * in the same layout and range ([batch, f height, f width, 3] for SR). Inside
 * it transposes to NCHW and maps each layer 1:1:
 * - reflection padding: `Pad` mode `reflect` (then a VALID `Conv`); the ml5
 *   variant's TF-'SAME' zero padding: `Conv` pads, `[0, 0, 1, 1]` for stride 2
 *   (TF puts the odd row/column at the bottom/right; sizes are even there);
 * - kernels HWIO to OIHW; transposed kernels [K, K, out, in] to ONNX's
 *   [in, out, K, K]; `ConvTranspose` pads `[0, 0, 1, 1]` gives exactly 2H x 2W,
 *   like tf.conv2dTranspose 'same' (the adjoint of the stride-2 'SAME' conv);
 * - nearest 2x resize: `Resize` nearest, `asymmetric`, `floor`, which is
 *   tf.image.resizeNearestNeighbor without alignCorners / halfPixelCenters
 *   (source index floor(i / 2)); the SR bilinear skip: `Resize` linear
 *   `half_pixel` (tf.image.resizeBilinear with halfPixelCenters);
 * - the SR sub-pixel head: `DepthToSpace` mode DCR (the channel order of
 *   src/networks/layers/pixel-shuffle.ts); the bicubic skip: `Pad` mode
 *   `edge` by 2, a `Conv` with the constant 5x5 phase kernels, `DepthToSpace`
 *   (ONNX `Resize` cubic has no edge-replicated half-pixel mode that matches);
 * - the style network's reflection pad to a multiple of 4 and crop back is in
 *   the graph (Shape, Mod, Pad, Slice), so any size works as with `transform`.
 *
 * Limit: ONNX `Pad` reflect needs every pad smaller than the padded axis,
 * whereas src/networks/layers/reflection-pad.ts reflects repeatedly on tiny
 * maps; so the exported model needs H, W >= MIN_ONNX_INPUT_SIZE (8 for the
 * style network: its 1/4-resolution maps are padded by 1; for SR one more
 * than the largest low-resolution pad, 5 for the paper's 9x9 first conv, 3
 * for the sub-pixel default; 4 for ml5). This is recorded in the model's doc
 * string and metadata.
 */
import { optionRangeError, perceptualError } from '../errors.js';
import { bicubicPhaseKernel, BICUBIC_SKIP_RADIUS } from '../networks/layers/pixel-shuffle.js';
import { srStages } from '../networks/sr-network.js';
import { STYLE_IN_EPSILON } from '../networks/style-network.js';
import { transformParamSpecs } from '../networks/transform.js';
import type { SrArch, StyleArch, TransformModel } from '../types.js';
import { float, OnnxGraphBuilder } from './onnx-graph.js';

/** Options of exportOnnx. */
export interface OnnxExportOptions {
  /** Default-domain opset, 13..21 (default 17). Every op used exists unchanged from opset 13 (Resize, Pad with inputs, Clip with inputs). */
  readonly opset?: number;
  /** Graph name (default `perceptual-<task>`). */
  readonly name?: string;
}

/** The default opset: 17 (onnxruntime 1.13+, every mainstream runtime). */
export const DEFAULT_ONNX_OPSET = 17;

/** Smallest input height/width the exported graph accepts, per network (see the file comment). */
export function minOnnxInputSize(model: Pick<TransformModel, 'arch'>): number {
  const { arch } = model;
  if (arch.task === 'sr') {
    const shuffle = arch.upsample === 'shuffle';
    const lowPad = (Math.max(arch.c1Kernel, arch.residualBlocks > 0 ? 3 : 1, shuffle ? arch.outKernel : 1) - 1) / 2;
    // The paper's head pads its `out` conv at f times the input size (its 2x stages pad 1 at 2x and more).
    const highPad = shuffle ? 0 : (arch.outKernel - 1) / 2;
    return Math.max(lowPad + 1, Math.ceil((highPad + 1) / arch.scale));
  }
  return arch.variant === 'ml5' ? 4 : 8;
}

/**
 * Builds the ONNX model of a transform network.
 * @param model a loaded or initialised model (its params are read, not disposed)
 * @returns the encoded ModelProto bytes (`.onnx`)
 * @throws RangeError E_OPTIONS for an opset outside 13..21; PerceptualError E_WEIGHTS_MISMATCH when a parameter is missing
 * @example
 * const bytes = await exportOnnx(await loadTransformModel('wave.safetensors'));
 * await writeFile('wave.onnx', bytes);
 */
export async function exportOnnx(model: TransformModel, options: OnnxExportOptions = {}): Promise<Uint8Array> {
  const opset = options.opset ?? DEFAULT_ONNX_OPSET;
  if (!Number.isInteger(opset) || opset < 13 || opset > 21) throw optionRangeError('options.opset', 'an integer in [13, 21]', opset);
  const weights = await readParams(model);
  const g = new OnnxGraphBuilder();
  const image = g.input('image', ['batch', 'height', 'width', 3]);
  const nchw = g.node('Transpose', [image], { perm: [0, 3, 1, 2] }, 'input_nchw');
  const { arch } = model;
  const result = arch.task === 'style' ? styleGraph(g, arch, weights, image, nchw) : srGraph(g, arch, weights, nchw);
  const outputValue = g.node('Transpose', [result], { perm: [0, 2, 3, 1] }, 'output');
  const f = arch.task === 'sr' ? arch.scale : 1;
  g.output(outputValue, ['batch', f === 1 ? 'height' : 'out_height', f === 1 ? 'width' : 'out_width', 3]);
  const min = minOnnxInputSize(model);
  const doc =
    `perceptual ${arch.task} network. Input 'image': float32 NHWC [batch, height, width, 3] RGB in [0, 1], ` +
    `height and width >= ${min}. Output 'output': float32 NHWC in [0, 1]` +
    (f === 1 ? ', same size.' : `, ${f}x the input size.`);
  return g.encode(options.name ?? `perceptual-${arch.task}`, opset, {
    arch: JSON.stringify(arch),
    min_input_size: String(min),
    ...Object.fromEntries(Object.entries(model.provenance).filter((entry): entry is [string, string] => typeof entry[1] === 'string')),
  }, doc);
}

/** Copies every parameter to JS, checked against the arch's specs (names and shapes). */
async function readParams(model: TransformModel): Promise<Map<string, { data: Float32Array; shape: number[] }>> {
  const out = new Map<string, { data: Float32Array; shape: number[] }>();
  for (const spec of transformParamSpecs(model.arch)) {
    const tensor = model.params[spec.name];
    if (tensor === undefined || tensor.shape.join() !== spec.shape.join()) {
      throw perceptualError(
        'E_WEIGHTS_MISMATCH',
        `exportOnnx: parameter '${spec.name}' ${tensor ? `has shape [${tensor.shape.join(',')}]` : 'is missing'}, expected [${spec.shape.join(',')}]. Export a model loaded with loadTransformModel.`,
      );
    }
    const data = tensor.dtype === 'float32' ? ((await tensor.data()) as Float32Array) : Float32Array.from(await tensor.data());
    out.set(spec.name, { data: Float32Array.from(data), shape: [...tensor.shape] });
  }
  return out;
}

type Weights = Map<string, { data: Float32Array; shape: number[] }>;

/** Permutes a 4-D row-major array by `perm` (as tf.transpose), in plain JS. */
function permute(source: { data: Float32Array; shape: number[] }, perm: readonly number[]): { data: Float32Array; shape: number[] } {
  const shape = perm.map((p) => source.shape[p] as number);
  const strides = [0, 0, 0, 0];
  for (let i = 3, s = 1; i >= 0; i--) {
    strides[i] = s;
    s *= source.shape[i] as number;
  }
  const st = perm.map((p) => strides[p] as number);
  const out = new Float32Array(source.data.length);
  let k = 0;
  const [a, b, c, d] = shape as [number, number, number, number];
  for (let i0 = 0; i0 < a; i0++)
    for (let i1 = 0; i1 < b; i1++)
      for (let i2 = 0; i2 < c; i2++)
        for (let i3 = 0; i3 < d; i3++) out[k++] = source.data[i0 * st[0]! + i1 * st[1]! + i2 * st[2]! + i3 * st[3]!]!;
  return { data: out, shape };
}

/** Shared layer emitters over one graph and one weight map. */
function layers(g: OnnxGraphBuilder, weights: Weights) {
  const w = (name: string): { data: Float32Array; shape: number[] } => weights.get(name)!;
  const vector = (name: string): string => g.floats(name, w(name).data, w(name).shape);
  const scalar = (value: number): string => g.floats('const', [value], []);
  const reflect = (x: string, p: number): string =>
    p === 0 ? x : g.node('Pad', [x, g.int64s('pads', [0, 0, p, p, 0, 0, p, p])], { mode: 'reflect' }, 'reflect_pad');
  /** KxK conv of an HWIO kernel, stride 1 or 2, reflection or TF-'SAME' zero padding, optional bias. */
  const conv = (x: string, name: string, stride: 1 | 2, padding: 'reflect' | 'same', bias?: string): string => {
    const kernel = permute(w(`${name}.kernel`), [3, 2, 0, 1]);
    const k = kernel.shape[2] as number;
    const p = (k - 1) / 2;
    const inputs = [padding === 'reflect' ? reflect(x, p) : x, g.floats(`${name}.kernel`, kernel.data, kernel.shape)];
    if (bias !== undefined) inputs.push(vector(bias));
    // TF 'SAME', stride 2, even size: total pad k - 2 = 1, all of it after (bottom/right).
    const pads = padding === 'reflect' ? [0, 0, 0, 0] : stride === 2 ? [p - 1, p - 1, p, p] : [p, p, p, p];
    return g.node('Conv', inputs, { kernel_shape: [k, k], strides: [stride, stride], pads }, name.replace(/\./g, '_'));
  };
  /** 2x upsampling, resize-conv or transposed conv ([K, K, out, in] to ONNX's [in, out, K, K]). */
  const up = (x: string, name: string, mode: 'resize' | 'transpose', padding: 'reflect' | 'same', bias?: string): string => {
    if (mode === 'resize') return conv(resize(x, 2, 'nearest'), name, 1, padding, bias);
    const kernel = permute(w(`${name}.kernel`), [3, 2, 0, 1]);
    const inputs = [x, g.floats(`${name}.kernel`, kernel.data, kernel.shape)];
    if (bias !== undefined) inputs.push(vector(bias));
    const k = kernel.shape[2] as number;
    const p = (k - 1) / 2;
    // Output 2(H-1) + k - begin - end = 2H with begin p - 1 (0 for k 3), end p: tf.conv2dTranspose 'same'.
    return g.node('ConvTranspose', inputs, { kernel_shape: [k, k], strides: [2, 2], pads: [p - 1, p - 1, p, p] }, name);
  };
  const resize = (x: string, factor: number, mode: 'nearest' | 'bilinear'): string =>
    g.node(
      'Resize',
      [x, '', g.floats('scales', [1, 1, factor, factor], [4])],
      mode === 'nearest'
        ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }
        : { mode: 'linear', coordinate_transformation_mode: 'half_pixel' },
      `resize_${mode}`,
    );
  const norm = (x: string, prefix: string, epsilon: number): string =>
    g.node('InstanceNormalization', [x, vector(`${prefix}.gamma`), vector(`${prefix}.beta`)], { epsilon: float(epsilon) }, prefix.replace(/\./g, '_'));
  const relu = (x: string): string => g.node('Relu', [x]);
  const add = (a: string, b: string): string => g.node('Add', [a, b]);
  const mul = (a: string, value: number): string => g.node('Mul', [a, scalar(value)]);
  const addScalar = (a: string, value: number): string => g.node('Add', [a, scalar(value)]);
  const clip = (a: string, lo: number, hi: number): string => g.node('Clip', [a, scalar(lo), scalar(hi)]);
  const tanh = (a: string): string => g.node('Tanh', [a]);
  const depthToSpace = (a: string, blocksize: number): string => g.node('DepthToSpace', [a], { blocksize, mode: 'DCR' });
  return { conv, up, resize, norm, relu, add, mul, addScalar, clip, tanh, scalar, depthToSpace };
}

/** The style network (src/networks/style-network.ts) with its pad-to-4 and crop. */
function styleGraph(g: OnnxGraphBuilder, arch: StyleArch, weights: Weights, image: string, nchw: string): string {
  const L = layers(g, weights);
  const padding = arch.variant === 'ml5' ? 'same' : 'reflect';
  const eps = STYLE_IN_EPSILON[arch.variant];
  // [H, W] of the input, and (4 - [H, W] mod 4) mod 4: the bottom/right reflection pad (SPEC section 4).
  const hw = g.node('Slice', [g.node('Shape', [image]), g.int64s('starts', [1]), g.int64s('ends', [3])], {}, 'hw');
  const four = g.int64s('four', [4], []);
  const extra = g.node('Mod', [g.node('Sub', [four, g.node('Mod', [hw, four])]), four], {}, 'pad_to_4');
  const pads = g.node('Concat', [g.int64s('zeros', [0, 0, 0, 0, 0, 0]), extra], { axis: 0 }, 'pads_to_4');
  let x = g.node('Pad', [nchw, pads], { mode: 'reflect' }, 'padded');
  // ml5 checkpoints were trained on raw 0..255 pixels (FORMAT.md section 3).
  if (arch.variant === 'ml5') x = L.mul(x, 255);
  const convNormRelu = (v: string, name: string, stride: 1 | 2): string => L.relu(L.norm(L.conv(v, name, stride, padding), `${name}.norm`, eps));
  x = convNormRelu(x, 'c1', 1);
  x = convNormRelu(x, 'd1', 2);
  x = convNormRelu(x, 'd2', 2);
  for (let k = 0; k < arch.residualBlocks; k++) {
    const r = `res${k}`;
    const t = L.relu(L.norm(L.conv(x, `${r}.conv1`, 1, padding), `${r}.norm1`, eps));
    x = L.add(x, L.norm(L.conv(t, `${r}.conv2`, 1, padding), `${r}.norm2`, eps));
  }
  for (const name of ['u1', 'u2']) x = L.relu(L.norm(L.up(x, name, arch.upsample, padding), `${name}.norm`, eps));
  let y: string;
  if (arch.variant === 'ml5') {
    const o = L.norm(L.conv(x, 'out', 1, padding), 'out.norm', eps);
    y = g.node('Div', [L.clip(L.addScalar(L.mul(L.tanh(o), 150), 127.5), 0, 255), L.scalar(255)]);
  } else {
    y = L.addScalar(L.mul(L.tanh(L.conv(x, 'out', 1, padding, 'out.bias')), 0.5), 0.5);
  }
  return g.node('Slice', [y, g.int64s('starts', [0, 0]), hw, g.int64s('axes', [2, 3])], {}, 'cropped');
}

/** The SR network (src/networks/sr-network.ts). */
function srGraph(g: OnnxGraphBuilder, arch: SrArch, weights: Weights, nchw: string): string {
  const L = layers(g, weights);
  const conv = (v: string, name: string): string => L.conv(v, name, 1, 'reflect', `${name}.bias`);
  let x = L.relu(conv(nchw, 'c1'));
  for (let k = 0; k < arch.residualBlocks; k++) x = L.add(x, conv(L.relu(conv(x, `res${k}.conv1`)), `res${k}.conv2`));
  if (arch.upsample !== 'shuffle') {
    for (let i = 1; i <= srStages(arch); i++) x = L.relu(L.up(x, `u${i}`, arch.upsample, 'reflect', `u${i}.bias`));
  }
  const o = L.tanh(arch.upsample === 'shuffle' ? L.depthToSpace(conv(x, 'out'), arch.scale) : conv(x, 'out'));
  if (arch.skip === 'none') return L.addScalar(L.mul(o, 0.5), 0.5);
  const skip = arch.skip === 'bicubic' ? bicubicSkip(g, L, nchw, arch.scale) : L.resize(nchw, arch.scale, arch.skip === 'bilinear' ? 'bilinear' : 'nearest');
  return L.clip(g.node('Add', [skip, L.mul(o, 0.5)]), 0, 1);
}

/** src/networks/layers/pixel-shuffle.ts bicubicUpsampleTf on the NCHW RGB input. */
function bicubicSkip(g: OnnxGraphBuilder, L: ReturnType<typeof layers>, nchw: string, f: number): string {
  const r = BICUBIC_SKIP_RADIUS;
  const size = 2 * r + 1;
  const kernel = permute({ data: bicubicPhaseKernel(f, 3), shape: [size, size, 3, f * f * 3] }, [3, 2, 0, 1]);
  const padded = g.node('Pad', [nchw, g.int64s('pads', [0, 0, r, r, 0, 0, r, r])], { mode: 'edge' }, 'edge_pad');
  const phases = g.node('Conv', [padded, g.floats('bicubic_phases', kernel.data, kernel.shape)], { kernel_shape: [size, size] }, 'bicubic_phases');
  return L.depthToSpace(phases, f);
}
