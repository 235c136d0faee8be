/**
 * @file Sub-pixel ("pixel shuffle") upsampling for the SR networks (SPEC
 * section 4; Shi et al. 2016): `depthToSpace`, and the bicubic global skip
 * computed as f*f phase convolutions at low resolution followed by the same
 * rearrangement.
 *
 * Channel order is DCR, as `tf.depthToSpace` (NHWC) and ONNX `DepthToSpace`
 * mode DCR (NCHW): output pixel (f h + i, f w + j), channel c reads input
 * channel (i f + j) C + c at (h, w). Built from reshape and transpose rather
 * than `tf.depthToSpace`, which has no gradient in tfjs-core 4.22.
 *
 * The bicubic upsampling is the one of src/data/bicubic.ts `bicubicUpsample`
 * (Keys a = -0.5, output i samples x = (i + 0.5) / f - 0.5, edges
 * replicated), as tfjs ops so that it runs on every backend inside the
 * network and exports to ONNX: output phase p of an axis sits at offset
 * t_p = (p + 0.5) / f - 0.5 in (-0.5, 0.5) from its low-resolution pixel, so
 * its 4 taps lie within offsets -2..2 of that pixel; each of the f*f phases
 * is thus a fixed 5x5 conv of the edge-padded low-resolution image.
 */
import * as tf from '@tensorflow/tfjs-core';
import { cubicKernel } from '../../data/bicubic.js';

/**
 * Rearranges [B, H, W, f*f*C] into [B, f H, f W, C] (DCR order, see the file comment).
 * Differentiable (reshape and a rank-5 transpose).
 * @returns caller disposes.
 */
export function depthToSpace(x: tf.Tensor4D, f: number): tf.Tensor4D {
  const [b, h, w, depth] = x.shape;
  const c = depth / (f * f);
  if (!Number.isInteger(c)) throw new RangeError(`depthToSpace: depth ${depth} is not a multiple of ${f}x${f}`);
  return tf.tidy(() => {
    // [B, H, W, i, (j, C)] -> [B, H, i, W, (j, C)]: row i of each block moves next to its H row.
    const blocks = tf.transpose(tf.reshape(x, [b, h, w, f, f * c]), [0, 1, 3, 2, 4]);
    return tf.reshape(blocks, [b, h * f, w * f, c]);
  });
}

/** Low-resolution pixels each side that the bicubic phase kernels read. */
export const BICUBIC_SKIP_RADIUS = 2;

/**
 * The bicubic phase kernels for factor f and C channels: HWIO [5, 5, C, f*f*C],
 * output channel (py f + px) C + c reads only input channel c, with weight
 * w_py(dy) w_px(dx) at kernel position (dy + 2, dx + 2).
 */
export function bicubicPhaseKernel(f: number, channels: number): Float32Array {
  const size = 2 * BICUBIC_SKIP_RADIUS + 1;
  // weights[p][d + 2]: phase p's normalised weight of the low-res pixel at offset d.
  const weights = Array.from({ length: f }, (_, p) => {
    const t = (p + 0.5) / f - 0.5;
    const row = new Float64Array(size);
    let sum = 0;
    for (let d = Math.floor(t) - 1; d <= Math.floor(t) + 2; d++) {
      const w = cubicKernel(t - d);
      row[d + BICUBIC_SKIP_RADIUS] = w;
      sum += w;
    }
    return row.map((w) => w / sum);
  });
  const out = f * f * channels;
  const kernel = new Float32Array(size * size * channels * out);
  for (let dy = 0; dy < size; dy++) {
    for (let dx = 0; dx < size; dx++) {
      for (let py = 0; py < f; py++) {
        for (let px = 0; px < f; px++) {
          const w = weights[py]![dy]! * weights[px]![dx]!;
          for (let c = 0; c < channels; c++) kernel[((dy * size + dx) * channels + c) * out + (py * f + px) * channels + c] = w;
        }
      }
    }
  }
  return kernel;
}

/** Pads H and W by `p` on each side by repeating the edge rows and columns. */
function replicatePad(x: tf.Tensor4D, p: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const rows = tf.concat([tf.tile(tf.slice(x, [0, 0, 0, 0], [-1, 1, -1, -1]), [1, p, 1, 1]), x, tf.tile(tf.slice(x, [0, h - 1, 0, 0], [-1, 1, -1, -1]), [1, p, 1, 1])], 1);
  return tf.concat([tf.tile(tf.slice(rows, [0, 0, 0, 0], [-1, -1, 1, -1]), [1, 1, p, 1]), rows, tf.tile(tf.slice(rows, [0, 0, w - 1, 0], [-1, -1, 1, -1]), [1, 1, p, 1])], 2);
}

/**
 * Bicubic upsampling by an integer factor as tfjs ops (see the file comment);
 * not clamped (bicubic overshoots at edges).
 * @param x float32 NHWC [B, H, W, C], any H, W >= 1
 * @returns float32 NHWC [B, f H, f W, C]; caller disposes.
 */
export function bicubicUpsampleTf(x: tf.Tensor4D, f: number): tf.Tensor4D {
  return tf.tidy(() => {
    const c = x.shape[3];
    const size = 2 * BICUBIC_SKIP_RADIUS + 1;
    const kernel = tf.tensor4d(bicubicPhaseKernel(f, c), [size, size, c, f * f * c]);
    return depthToSpace(tf.conv2d(replicatePad(x, BICUBIC_SKIP_RADIUS), kernel, 1, 'valid'), f);
  });
}
