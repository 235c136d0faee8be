/**
 * @file `Conv2DBackpropFilter` written as an ordinary convolution, for the
 * WASM backend, which lacks it in tfjs-backend-wasm 4.22 ("Kernel
 * 'Conv2DBackpropFilter' not registered for backend 'wasm'", so no gradient
 * reached conv weights: plain, fused or transposed), and for the CPU backend,
 * whose stock kernel is a per-element loop (timings: bench/RESULTS.md,
 * "Convolution gradients on WASM", from bench/conv-grad.bench.ts).
 *
 * The weight gradient of y = conv(x, w; stride s, pad t/l) is
 *   dw[p, q, c, o] = sum_{b, i, j} x[b, i s + p - t, j s + q - l, c] dy[b, i, j, o],
 * which is itself a stride-1 convolution with dilation s: the input is x with
 * batch and channels swapped ([C, H, W, B]), the filter is dy as
 * [OH, OW, B, O], and the output [C, KH, KW, O] is transposed to
 * [KH, KW, C, O]. It runs on the backend's own Conv2D (XNNPACK on WASM) and
 * matches float64 finite differences and the stock CPU kernel
 * (test/runtime/conv-gradients.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Intermediates, runBackendKernel } from './run-backend-kernel.js';

/**
 * Builds the `Conv2DBackpropFilter` kernel config for `backendName` (a tfjs
 * backend with Conv2D, Transpose and Slice kernels). The kernel takes `x`
 * (NHWC or NCHW) and `dy` and returns the filter gradient [KH, KW, C, O].
 */
export function makeConv2DBackpropFilterConfig(backendName: string): tf.KernelConfig {
  const run = runBackendKernel.bind(undefined, backendName);
  const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const temp = new Intermediates(backend);
    let result: tf.TensorInfo | undefined;
    try {
      const channelsLast = tf.backend_util.convertConv2DDataFormat(dataFormat) === 'channelsLast';
      // WASM's Conv2D is NHWC only; NCHW inputs are brought to NHWC first.
      const xNhwc = channelsLast ? x : temp.add(run(tf.Transpose, backend, { x }, { perm: [0, 2, 3, 1] }));
      const dyNhwc = channelsLast ? dy : temp.add(run(tf.Transpose, backend, { x: dy }, { perm: [0, 2, 3, 1] }));
      const info = tf.backend_util.computeConv2DInfo(
        xNhwc.shape as [number, number, number, number],
        filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast',
      );
      const [, inH, inW, channels] = xNhwc.shape as [number, number, number, number];
      const [, outH, outW] = dyNhwc.shape as [number, number, number, number];
      const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
      const { top, left } = info.padInfo;
      // Rows the dilated filter reaches below the input; negative means the last
      // rows are never read (floor rounding), so they are cropped instead.
      const bottom = (outH - 1) * strideHeight + filterHeight - top - inH;
      const right = (outW - 1) * strideWidth + filterWidth - left - inW;

      let xT = temp.add(run(tf.Transpose, backend, { x: xNhwc }, { perm: [3, 1, 2, 0] })); // [C, H, W, B]
      if (bottom < 0 || right < 0) {
        const size = [channels, inH + Math.min(bottom, 0), inW + Math.min(right, 0), xT.shape[3] as number];
        xT = temp.add(run(tf.Slice, backend, { x: xT }, { begin: [0, 0, 0, 0], size }));
      }
      const dyT = temp.add(run(tf.Transpose, backend, { x: dyNhwc }, { perm: [1, 2, 0, 3] })); // [OH, OW, B, O]
      const grad = temp.add(
        run(tf.Conv2D, backend, { x: xT, filter: dyT }, {
          strides: [1, 1],
          pad: [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]],
          dataFormat: 'NHWC',
          dilations: [strideHeight, strideWidth],
        }),
      ); // [C, KH, KW, O]
      result = run(tf.Transpose, backend, { x: grad }, { perm: [1, 2, 0, 3] });
      return result;
    } finally {
      temp.dispose(result);
    }
  };
  return { kernelName: tf.Conv2DBackpropFilter, backendName, kernelFunc };
}
