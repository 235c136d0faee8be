/**
 * @file A correct gradient for `MirrorPad`, replacing tfjs-core 4.22's.
 *
 * tfjs-core's `mirrorPadGradConfig` returns only the centre crop of dy, so the
 * gradient that flows into the padded (mirrored) cells is dropped instead of
 * being added onto the pixels they copy. Every reflection-padded convolution
 * (SPEC section 4: all johnson-variant convs) therefore got wrong gradients
 * in a band along the image borders. The adjoint of mirror padding folds each
 * border slab of dy back onto the pixels it mirrors:
 *   reflect   (edge not repeated): padded index -k <- k,     n-1+k <- n-1-k
 *   symmetric (edge repeated):     padded index -k <- k-1,   n-1+k <- n-k
 * applied one axis at a time. Where the backend has perceptual's one-pass
 * kernel for it (wasm: src/runtime/kernels/mirror-pad-adjoint.ts) that runs
 * instead of these ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MIRROR_PAD_ADJOINT_KERNEL } from './kernel-names.js';

/** The adjoint of `tf.mirrorPad(x, paddings, mode)` applied to dy (shape of the padded tensor). Caller disposes. */
export function mirrorPadAdjoint(dy: tf.Tensor, paddings: ReadonlyArray<readonly [number, number]>, mode: 'reflect' | 'symmetric'): tf.Tensor {
  return tf.tidy(() => {
    let g = dy;
    paddings.forEach(([before, after], axis) => {
      if (before === 0 && after === 0) return;
      const n = g.shape[axis]! - before - after;
      const part = (start: number, size: number): tf.Tensor => {
        const begin = g.shape.map(() => 0);
        const extent = g.shape.map(() => -1);
        begin[axis] = start;
        extent[axis] = size;
        return tf.slice(g, begin, extent);
      };
      // Places a reversed border slab of `size` rows at `offset` within n rows.
      const placed = (slab: tf.Tensor, offset: number): tf.Tensor => {
        const pads = g.shape.map((): [number, number] => [0, 0]);
        pads[axis] = [offset, n - offset - slab.shape[axis]!];
        return tf.pad(tf.reverse(slab, axis), pads);
      };
      const terms = [part(before, n)];
      const shift = mode === 'reflect' ? 1 : 0;
      if (before > 0) terms.push(placed(part(0, before), shift));
      if (after > 0) terms.push(placed(part(before + n, after), n - after - shift));
      g = tf.addN(terms);
    });
    return g;
  });
}

const MARK = Symbol.for('perceptual.mirrorPadGradient');

/** Registers the corrected MirrorPad gradient (idempotent; replaces tfjs-core's). */
export function registerMirrorPadGradient(): void {
  const current = tf.getGradient(tf.MirrorPad) as (tf.GradConfig & { [MARK]?: true }) | undefined;
  if (current?.[MARK]) return;
  const config: tf.GradConfig & { [MARK]: true } = {
    kernelName: tf.MirrorPad,
    inputsToSave: ['x'],
    gradFunc: (dy, _saved, attrs) => {
      const { paddings, mode } = attrs as unknown as tf.MirrorPadAttrs;
      const g = dy as tf.Tensor;
      const oneKernel = g.dtype === 'float32' && tf.getKernel(MIRROR_PAD_ADJOINT_KERNEL, tf.getBackend()) !== undefined;
      return { x: () => (oneKernel ? (tf.engine().runKernel(MIRROR_PAD_ADJOINT_KERNEL, { dy: g }, attrs) as tf.Tensor) : mirrorPadAdjoint(g, paddings, mode)) };
    },
    [MARK]: true,
  };
  tf.registerGradient(config);
}
