/**
 * @file The names (and input/attribute types) of perceptual's own tfjs
 * kernels, as tfjs-core's kernel_names.ts does for its kernels: the layers
 * that call a kernel (src/networks) and the backend code that implements and
 * registers it (src/runtime/kernels) import them from here, so the strings
 * cannot drift and a caller needs no kernel implementation for a name.
 */

/** Instance normalisation (+ ReLU) as one kernel (src/runtime/kernels/instance-norm.ts, wasm only). */
export const INSTANCE_NORM_KERNEL = 'PerceptualInstanceNorm';

/**
 * Inputs of {@link INSTANCE_NORM_KERNEL}: `x` float32 NHWC [B, H, W, C],
 * `gamma`, `beta` [C], and optionally `mean`, `variance` [C] (used for every
 * image instead of its own).
 */
export type InstanceNormInputs = 'x' | 'gamma' | 'beta' | 'mean' | 'variance';

/** Attributes of {@link INSTANCE_NORM_KERNEL}. */
export interface InstanceNormAttrs {
  readonly epsilon: number;
  readonly relu: boolean;
}

/**
 * The adjoint of mirror padding: dy of a padded tensor folded back onto the
 * pixels each padded cell copies (src/runtime/mirror-pad-gradient.ts; the
 * kernel: src/runtime/kernels/mirror-pad-adjoint.ts, wasm only). Input `dy`;
 * attributes those of `MirrorPad` (`paddings`, `mode`).
 */
export const MIRROR_PAD_ADJOINT_KERNEL = 'PerceptualMirrorPadAdjoint';
