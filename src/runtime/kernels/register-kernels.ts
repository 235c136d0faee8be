/**
 * @file Installs perceptual's kernels into tfjs's global kernel registry, per
 * backend (measurements in wasm/README.md):
 * - wasm: `Conv2DBackpropFilter` (missing in tfjs-backend-wasm 4.22); a
 *   faster `Conv2DBackpropInput` (sub-pixel phases for stride > 1, a conv of
 *   dy with the flipped filter at stride 1); a `BatchMatMul` that transposes
 *   operands explicitly (far faster than the stock one with transposeA/transposeB,
 *   which Gram matrices and matMul gradients use); `Mean`/`Sum` summed in
 *   float64 across blocks, without a transpose; `Conv2D` on perceptual's
 *   SIMD kernels where they apply (Winograd, RGB output); a `MaxPoolGrad`
 *   that breaks ties as the CPU backend does; `PerceptualInstanceNorm`; and
 *   `PerceptualMirrorPadAdjoint` (the MirrorPad gradient in one pass);
 * - cpu: a `Conv2DBackpropFilter` composed from its conv2d instead of the
 *   stock per-element loop (bench/RESULTS.md, "Convolution gradients on WASM";
 *   its `Conv2DBackpropInput` is already as fast as its conv2d).
 * Called by the candidates right after the backend package registers its own
 * kernels and before `tf.setBackend` runs the kernels' setup functions.
 */
import * as tf from '@tensorflow/tfjs-core';
import { INSTANCE_NORM_KERNEL, MIRROR_PAD_ADJOINT_KERNEL } from '../kernel-names.js';
import { makeConv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { makeConv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { makeBatchMatMulConfig } from './batch-mat-mul.js';
import { makeConv2DConfig } from './conv2d-simd.js';
import { makeInstanceNormConfig } from './instance-norm.js';
import { makeMaxPoolGradConfig } from './max-pool-grad.js';
import { makeMirrorPadAdjointConfig } from './mirror-pad-adjoint.js';
import { makeReduceSumConfig } from './reduce-sum.js';

/**
 * Marks kernel functions installed by us, so registration stays idempotent
 * even when two copies of this module load (src under tsx and dist).
 */
const MARK = Symbol.for('perceptual.kernel');

const stockKernels = new Map<string, tf.KernelConfig>();

function isOurs(kernel: tf.KernelConfig | undefined | null): boolean {
  return kernel !== undefined && kernel !== null && MARK in kernel.kernelFunc;
}

/** Registers `config` in place of whatever `kernelName` has on its backend. */
function install(config: tf.KernelConfig): void {
  const stock = tf.getKernel(config.kernelName, config.backendName);
  if (stock !== undefined && stock !== null) {
    stockKernels.set(`${config.backendName}/${config.kernelName}`, stock);
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  Object.defineProperty(config.kernelFunc, MARK, { value: true });
  tf.registerKernel(config);
}

/**
 * The stock kernel config that {@link registerKernels} replaced
 * (for benchmarks and tests), if it replaced one.
 */
export function stockKernel(backendName: string, kernelName: string): tf.KernelConfig | undefined {
  return stockKernels.get(`${backendName}/${kernelName}`);
}

/**
 * Registers the conv-gradient kernels for tfjs backend `backendName` once
 * (later calls do nothing); backends other than 'wasm' and 'cpu' are left alone.
 * @returns the kernel names this call registered.
 */
export function registerKernels(backendName: string): string[] {
  const registered: string[] = [];
  const filter = tf.getKernel(tf.Conv2DBackpropFilter, backendName);
  // On wasm, a Conv2DBackpropFilter that a later tfjs-backend-wasm provides is kept.
  const replaceFilter = backendName === 'cpu' ? !isOurs(filter) : backendName === 'wasm' && (filter === undefined || filter === null);
  if (replaceFilter) {
    install(makeConv2DBackpropFilterConfig(backendName));
    registered.push(tf.Conv2DBackpropFilter);
  }
  const input = tf.getKernel(tf.Conv2DBackpropInput, backendName);
  if (backendName === 'wasm' && input !== undefined && input !== null && !isOurs(input)) {
    install(makeConv2DBackpropInputConfig(input));
    registered.push(tf.Conv2DBackpropInput);
  }
  const matMul = tf.getKernel(tf.BatchMatMul, backendName);
  if (backendName === 'wasm' && matMul !== undefined && matMul !== null && !isOurs(matMul)) {
    install(makeBatchMatMulConfig(matMul));
    registered.push(tf.BatchMatMul);
  }
  // wasm stride-1 3x3 convs through perceptual's SIMD kernels (conv2d-simd.ts).
  const conv = tf.getKernel(tf.Conv2D, backendName);
  if (backendName === 'wasm' && conv !== undefined && conv !== null && !isOurs(conv)) {
    install(makeConv2DConfig(conv));
    registered.push(tf.Conv2D);
  }
  // wasm MaxPoolGrad to the first maximum of each window, as the CPU backend breaks ties: max-pool-grad.ts.
  const maxPoolGrad = tf.getKernel(tf.MaxPoolGrad, backendName);
  if (backendName === 'wasm' && maxPoolGrad !== undefined && maxPoolGrad !== null && !isOurs(maxPoolGrad)) {
    install(makeMaxPoolGradConfig(maxPoolGrad));
    registered.push(tf.MaxPoolGrad);
  }
  if (backendName === 'wasm' && !isOurs(tf.getKernel(INSTANCE_NORM_KERNEL, backendName))) {
    install(makeInstanceNormConfig());
    registered.push(INSTANCE_NORM_KERNEL);
  }
  if (backendName === 'wasm' && !isOurs(tf.getKernel(MIRROR_PAD_ADJOINT_KERNEL, backendName))) {
    install(makeMirrorPadAdjointConfig());
    registered.push(MIRROR_PAD_ADJOINT_KERNEL);
  }
  // wasm Mean/Sum over a contiguous run of axes, float64 across blocks and without a transpose: reduce-sum.ts.
  for (const name of [tf.Mean, tf.Sum]) {
    const reduce = tf.getKernel(name, backendName);
    if (backendName === 'wasm' && reduce !== undefined && reduce !== null && !isOurs(reduce)) {
      install(makeReduceSumConfig(reduce));
      registered.push(name);
    }
  }
  return registered;
}
