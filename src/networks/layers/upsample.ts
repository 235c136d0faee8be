/**
 * @file 2x upsampling stages ("uN" in SPEC section 4): nearest-neighbour
 * resize then a 3x3 conv (default: no checkerboard artefacts, Odena et al.
 * 2016), or a 3x3 stride-2 transposed conv.
 *
 * The resize-conv with a 3x3 kernel never materialises the upsampled map
 * ("folded"): output pixel (2i+dy, 2j+dx) of a 3x3 conv over a nearest-2x map
 * reads upsampled rows 2i+dy-1 .. 2i+dy+1, which are low-resolution rows
 * {i-1, i, i} for dy = 0 (merged taps w0 | w1+w2) and {i, i, i+1} for dy = 1
 * (w0+w1 | w2); columns likewise. Each of the four output phases is thus a
 * 2x2 conv at low resolution with summed taps, and there is no 4x-sized
 * intermediate map (no resize, and padding at low resolution).
 *
 * The phase kernels are zero-extended to 3x3 so that all four line up on the
 * same low-resolution pixel: one 3x3 conv with 4 Cout outputs, then a pure
 * interleave. That does as many multiply-adds as the unfolded conv (36 per
 * low-res pixel and channel pair, 20 of them by zero) but runs on the fast 3x3
 * paths (perceptual's Winograd kernel on wasm, src/runtime/kernels): faster
 * than unfolded on wasm, where a 2x2 layout (16 multiply-adds, direct conv)
 * was slower (XNNPACK's non-3x3 convs run far slower per multiply-add), and
 * on par on cpu; figures in wasm/README.md, "Other kernels".
 */
import * as tf from '@tensorflow/tfjs-core';
import { wholeImagePadding, type MapPadding } from '../execution.js';
import { conv2dPadded, type ConvPadding } from './conv.js';
import { depthToSpace } from './pixel-shuffle.js';

/** One pixel on every side: the border of the 3x3 phase convs at low resolution. */
const ONE = Object.freeze({ top: 1, bottom: 1, left: 1, right: 1 });

/**
 * Nearest-neighbour 2x resize (each pixel becomes a 2x2 block), then a
 * stride-1 conv padded as `padding` on the UPSAMPLED map (SPEC section 4).
 * A 3x3 kernel takes the folded low-resolution path ({@link foldedResizeConv3x3},
 * equal to resize-then-conv up to float rounding); other kernel sizes resize,
 * then convolve.
 * Differentiable in `x`, `kernel` and `bias` (tfjs ops only).
 * @param x float32 NHWC [B, H, W, Cin]
 * @param kernel HWIO [K, K, Cin, Cout]
 * @param bias optional [Cout]
 * @param execution where borders come from (src/networks/execution.ts); default: the whole image's edge
 * @returns float32 NHWC [B, 2H, 2W, Cout]; caller disposes.
 */
export function upsampleResizeConv(x: tf.Tensor4D, kernel: tf.Tensor, padding: ConvPadding, bias?: tf.Tensor, execution: MapPadding = wholeImagePadding): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    if (kernel.rank === 4 && kernel.shape[0] === 3 && kernel.shape[1] === 3) {
      const y = foldedResizeConv3x3(x, kernel as tf.Tensor4D, padding, execution);
      return bias ? (tf.add(y, bias) as tf.Tensor4D) : y;
    }
    // alignCorners/halfPixelCenters false: source index floor(i / 2), an exact 2x2 replication.
    const big = tf.image.resizeNearestNeighbor(x, [2 * h, 2 * w], false, false);
    return conv2dPadded(big, kernel, 1, padding, bias, execution);
  });
}

/**
 * Nearest 2x resize then a 3x3 stride-1 conv, computed at low resolution
 * (see the file comment), without bias.
 *
 * Padding: reflecting the upsampled map by 1 gives rows -1 -> 1 and
 * 2H -> 2H-2, i.e. low rows 0 and H-1 again: edge replication of the
 * low-resolution map by 1 (also for H = 1). TF 'SAME' at stride 1 zero-pads
 * the upsampled map by 1, i.e. zero-pads the low-resolution map by 1.
 * @param x float32 NHWC [B, H, W, Cin]
 * @param kernel float32 HWIO [3, 3, Cin, Cout]
 * @returns float32 NHWC [B, 2H, 2W, Cout]; caller disposes.
 */
export function foldedResizeConv3x3(x: tf.Tensor4D, kernel: tf.Tensor4D, padding: ConvPadding, execution: MapPadding = wholeImagePadding): tf.Tensor4D {
  return tf.tidy(() => {
    // Output (i, j) of a 3x3 conv on the 1-padded map reads low rows i-1..i+1
    // (kernel row t <-> low row i-1+t): phase dy's taps sit at t = dy, dy+1.
    const k3 = phaseKernels(kernel, resizeTaps);
    const phases = execution.conv(x, k3, 1, ONE, padding === 'same' ? 'zero' : 'symmetric'); // [B, H, W, 4*Cout]
    return depthToSpace(phases, 2);
  });
}

/**
 * For output phase d (0 or 1) of one axis, which original taps (0..2) sum into
 * each of the 3 positions of the phase's 3-tap kernel over low rows i-1, i, i+1.
 */
type PhaseTaps = (d: number) => number[][];

/** Resize-conv: the 2x2 phase kernel (w0 | w1+w2 for d = 0, w0+w1 | w2 for d = 1) at positions d, d+1. */
const resizeTaps: PhaseTaps = (d) => (d === 0 ? [[0], [1, 2], []] : [[], [0, 1], [2]]);

/**
 * Stride-2 transposed conv ('same', output 2H): out[2m] = x[m-1] w2 + x[m] w0
 * and out[2m+1] = x[m] w1 (the adjoint of y[i] = sum_k u[2i + k] w[k]).
 */
const transposeTaps: PhaseTaps = (d) => (d === 0 ? [[2], [0], []] : [[], [1], []]);

/**
 * The four phase kernels of a 3x3 kernel [3, 3, Cin, Cout], each a 3x3
 * kernel over the low-resolution map, concatenated along output channels:
 * [3, 3, Cin, 4*Cout], block 2*dy + dx. One matMul of a constant 0/1
 * tap-merging matrix [36, 9] with the kernel [9, Cin*Cout] and one transpose:
 * on 'wasm' every Slice/Split copies its whole input, so a split-and-add fold
 * costs more.
 */
function phaseKernels(kernel: tf.Tensor4D, taps: PhaseTaps): tf.Tensor4D {
  const [, , cin, cout] = kernel.shape;
  const merge = new Float32Array(4 * 9 * 9);
  for (let dy = 0; dy < 2; dy++) {
    for (let dx = 0; dx < 2; dx++) {
      const block = 2 * dy + dx;
      const [rows, cols] = [taps(dy), taps(dx)];
      for (let t = 0; t < 3; t++) {
        for (let u = 0; u < 3; u++) {
          for (const ky of rows[t]!) for (const kx of cols[u]!) merge[((block * 3 + t) * 3 + u) * 9 + ky * 3 + kx] = 1;
        }
      }
    }
  }
  const folded = tf.matMul(tf.tensor2d(merge, [36, 9]), tf.reshape(kernel, [9, cin * cout])); // [(block, t, u), (ci, co)]
  return tf.reshape(tf.transpose(tf.reshape(folded, [4, 9, cin, cout]), [1, 2, 0, 3]), [3, 3, cin, 4 * cout]);
}

/**
 * A stride-2 transposed conv with output size exactly 2H x 2W: the adjoint of
 * a stride-2 TF-'SAME' conv (how the ml5 checkpoints upsample, FORMAT.md
 * section 3). The kernel is in TF `conv2d_transpose` layout
 * [K, K, Cout, Cin], which is also tfjs `conv2dTranspose`'s. A 3x3 kernel is
 * computed like the folded resize-conv: each output phase is a conv of the
 * low-resolution map ({@link transposeTaps}), the four run as one zero-padded
 * 3x3 conv with 4 Cout outputs (the fast 3x3 path) and are interleaved; equal
 * to `tf.conv2dTranspose` up to float rounding. Other sizes run
 * `tf.conv2dTranspose` on the map with a border of ceil(K / 2) and keep the
 * middle 2H x 2W: a zero border adds nothing, and a row band's border is the
 * rows its outputs read from its neighbours.
 * @param x float32 NHWC [B, H, W, Cin]
 * @param kernel [K, K, Cout, Cin]
 * @param execution where borders come from (src/networks/execution.ts); default: the whole image's edge
 * @returns float32 NHWC [B, 2H, 2W, Cout]; caller disposes.
 */
export function upsampleTranspose(x: tf.Tensor4D, kernel: tf.Tensor, bias?: tf.Tensor, execution: MapPadding = wholeImagePadding): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w] = x.shape;
    const k = kernel as tf.Tensor4D;
    let y: tf.Tensor4D;
    if (k.shape[0] === 3 && k.shape[1] === 3) {
      const hwio = tf.transpose(k, [0, 1, 3, 2]) as tf.Tensor4D; // [3, 3, Cin, Cout]
      const k3 = phaseKernels(hwio, transposeTaps);
      y = depthToSpace(execution.conv(x, k3, 1, ONE, 'zero'), 2);
    } else {
      // Output row o reads input rows within ceil(K / 2) of o / 2, whatever TF's 'SAME' offset.
      const [ry, rx] = [Math.ceil(k.shape[0] / 2), Math.ceil(k.shape[1] / 2)];
      const padded = execution.pad(x, { top: ry, bottom: ry, left: rx, right: rx }, 'zero');
      const full = tf.conv2dTranspose(padded, k, [b, 2 * (h + 2 * ry), 2 * (w + 2 * rx), k.shape[2]], 2, 'same');
      y = tf.slice(full, [0, 2 * ry, 2 * rx, 0], [b, 2 * h, 2 * w, k.shape[2]]);
    }
    return bias ? (tf.add(y, bias) as tf.Tensor4D) : y;
  });
}
