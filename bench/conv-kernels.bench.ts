/**
 * @file perceptual's WASM SIMD convolution kernels (wasm/src, chosen by
 * src/runtime/kernels/conv2d-simd.ts) against the stock tfjs-backend-wasm
 * (XNNPACK) `Conv2D`, on the style network's convolutions at a 256x256 input
 * (width 1, valid padding after reflection padding, as the network runs them)
 * and an SR-network conv. One process; per conv, the two kernels take turns
 * round by round (bench/interleave.ts) after one warm-up round; medians, and
 * the speed-up as the median of the same-round ratios.
 *
 * Run: node --import tsx bench/conv-kernels.bench.ts [--repeats 7]
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/index.js';
import { conv2DPath } from '../src/runtime/kernels/conv2d-simd.js';
import { stockKernel } from '../src/runtime/kernels/register-kernels.js';
import { argument, median } from './bench-args.js';
import { hostReport } from './host.js';
import { inProcess, interleave, sameRoundRatios, summarize } from './interleave.js';

type Shape4 = [number, number, number, number];
const CASES: readonly { name: string; x: Shape4; filter: Shape4 }[] = [
  { name: 'residual conv (x10)', x: [1, 66, 66, 128], filter: [3, 3, 128, 128] },
  // The resize-conv stages as the network runs them: folded to 3x3 convs with 4 Cout outputs at low resolution.
  { name: 'u1 folded resize-conv', x: [1, 66, 66, 128], filter: [3, 3, 128, 256] },
  { name: 'u2 folded resize-conv', x: [1, 130, 130, 64], filter: [3, 3, 64, 128] },
  { name: 'out 9x9 -> RGB', x: [1, 264, 264, 32], filter: [9, 9, 32, 3] },
  { name: 'SR x4 out 9x9 64 -> RGB (256 out)', x: [1, 264, 264, 64], filter: [9, 9, 64, 3] },
  { name: 'first 9x9 RGB -> 32 (stock both)', x: [1, 264, 264, 3], filter: [9, 9, 3, 32] },
];

async function main(): Promise<void> {
  const repeats = Number(argument('repeats', '7'));
  const host = hostReport();
  await selectBackend({ backend: 'wasm', purpose: 'infer' });
  const stock = stockKernel('wasm', tf.Conv2D);
  if (stock === undefined) throw new Error('the stock Conv2D was not kept: perceptual kernels not registered');
  const backend = tf.backend();
  const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1 };
  for (const line of host.lines) console.log(line);
  console.log(`tfjs ${tf.version_core}, wasm SIMD 1 thread, median of ${repeats} interleaved rounds after 1 warm-up`);
  console.log('| conv | input x filter | path | stock ms | perceptual ms | stock GFLOP/s | perceptual GFLOP/s (direct-conv FLOPs) | speed-up (same round) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const c of CASES) {
    const x = tf.randomNormal(c.x) as tf.Tensor4D;
    const w = tf.randomNormal(c.filter, 0, 0.05) as tf.Tensor4D;
    const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, 1, 1, 'valid');
    const flops = 2 * info.outHeight * info.outWidth * c.filter[0] * c.filter[1] * c.filter[2] * c.filter[3];
    const run = (useStock: boolean): void => {
      const out = useStock
        ? (stock.kernelFunc({ inputs: { x, filter: w }, backend, attrs }) as tf.TensorInfo)
        : tf.conv2d(x, w, 1, 'valid');
      backend.readSync(out.dataId);
      if (out instanceof tf.Tensor) out.dispose();
      else backend.disposeData(out.dataId);
    };
    const result = await interleave([inProcess('stock', () => run(true)), inProcess('perceptual', () => run(false))], { rounds: repeats, warmupRounds: 1 });
    if (result.failures.size > 0) throw new Error(`${c.name}: ${[...result.failures].map(([k, why]) => `${k}: ${why}`).join('; ')}`);
    const [ms0, ms1] = summarize(result).map((row) => row.medianMs) as [number, number];
    const speedup = median(sameRoundRatios(result, 'stock', 'perceptual'));
    console.log(
      `| ${c.name} | ${c.x.join('x')} * ${c.filter.join('x')} | ${conv2DPath(info, 'float32')} | ${ms0.toFixed(1)} | ${ms1.toFixed(1)} | ` +
        `${(flops / ms0 / 1e6).toFixed(1)} | ${(flops / ms1 / 1e6).toFixed(1)} | ${speedup.toFixed(2)}x |`,
    );
    tf.dispose([x, w]);
  }
  console.log(host.end());
}

await main();
