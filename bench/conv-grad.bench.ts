/**
 * @file Times a convolution's forward pass, weight gradient and input gradient
 * on WASM and CPU at training-relevant sizes, and prints medians, GFLOP/s and
 * ratios. On WASM it also times the stock `Conv2DBackpropInput` that
 * src/runtime/kernels/conv2d-backprop-input.ts replaces.
 *
 * Run: node --import tsx bench/conv-grad.bench.ts [--repeats 5] [--backends wasm,cpu]
 */
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/index.js';
import { stockKernel } from '../src/runtime/kernels/register-kernels.js';
import { argument, median } from './bench-args.js';

interface ConvCase {
  readonly name: string;
  readonly x: [number, number, number, number];
  readonly filter: [number, number, number, number];
  readonly strides: number;
  readonly pad: 'same' | 'valid';
}

const CASES: readonly ConvCase[] = [
  // A residual-block conv of the style network at 256x256 input (128 ch at 64x64), scaled to 64 ch.
  { name: 'res 1x64x64x64 k3 64->64 s1', x: [1, 64, 64, 64], filter: [3, 3, 64, 64], strides: 1, pad: 'same' },
  // A downsampling conv (d64 at 256x256 input: 32 -> 64 ch at 128x128, stride 2).
  { name: 'down 1x128x128x32 k3 32->64 s2', x: [1, 128, 128, 32], filter: [3, 3, 32, 64], strides: 2, pad: 'same' },
];

/** Median milliseconds of `fn` (one warm-up call; results read back so the work is done). */
function time(fn: () => tf.Tensor | tf.TensorInfo, repeats: number): number {
  const samples: number[] = [];
  for (let i = 0; i <= repeats; i++) {
    const start = performance.now();
    const out = fn();
    tf.backend().readSync(out.dataId);
    const ms = performance.now() - start;
    if (out instanceof tf.Tensor) out.dispose();
    else tf.backend().disposeData(out.dataId);
    if (i > 0) samples.push(ms);
  }
  return median(samples);
}

type Row = { backend: string; op: string; ms: number; gflops: number };

function benchCase(c: ConvCase, backend: string, repeats: number): Row[] {
  const x = tf.randomUniform(c.x, -1, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomUniform(c.filter, -0.1, 0.1, 'float32', 2) as tf.Tensor4D;
  const y = tf.conv2d(x, w, c.strides, c.pad);
  const dy = tf.randomUniform(y.shape, -1, 1, 'float32', 3);
  const [, oh, ow, o] = y.shape;
  const flops = 2 * c.x[0] * oh * ow * o * c.filter[0] * c.filter[1] * c.filter[2];
  const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
  const ops: Record<string, () => tf.Tensor | tf.TensorInfo> = {
    forward: () => tf.conv2d(x, w, c.strides, c.pad),
    'weight grad': () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: c.filter } as never) as tf.Tensor,
    'input grad': () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, { ...attrs, inputShape: c.x } as never) as tf.Tensor,
  };
  const stock = stockKernel('wasm', tf.Conv2DBackpropInput);
  if (backend === 'wasm' && stock !== undefined) {
    ops['input grad (stock)'] = () =>
      stock.kernelFunc({ inputs: { dy, filter: w }, backend: tf.backend(), attrs: { ...attrs, inputShape: c.x } as never }) as tf.TensorInfo;
  }
  const rows = Object.entries(ops).map(([op, fn]) => {
    const ms = time(fn, repeats);
    return { backend, op, ms, gflops: flops / ms / 1e6 };
  });
  tf.dispose([x, w, y, dy]);
  return rows;
}

const repeats = Number(argument('repeats', '5'));
const backends = argument('backends', 'wasm,cpu').split(',');
const cpu = cpus();
console.log(`conv-grad bench: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, node ${process.version}, median of ${repeats}`);
for (const c of CASES) {
  const rows: Row[] = [];
  for (const backend of backends) {
    const runtime = await selectBackend({ backend });
    if (backend === 'wasm') console.log(`wasm: simd=${String(runtime.details.simd)} threads=${String(runtime.details.threads)}`);
    rows.push(...benchCase(c, backend, backend === 'cpu' ? Math.min(repeats, 3) : repeats));
  }
  console.log(`\n${c.name}`);
  const cpuMs = new Map(rows.filter((r) => r.backend === 'cpu').map((r) => [r.op, r.ms]));
  const stockMs = rows.find((r) => r.op === 'input grad (stock)')?.ms;
  for (const r of rows) {
    const vsCpu = cpuMs.get(r.op.replace(' (stock)', '')) ?? NaN;
    let note = r.backend === 'wasm' && Number.isFinite(vsCpu) ? `  ${(vsCpu / r.ms).toFixed(1)}x cpu` : '';
    if (r.op === 'input grad' && r.backend === 'wasm' && stockMs !== undefined) note += `, ${(stockMs / r.ms).toFixed(1)}x stock wasm`;
    console.log(`  ${r.backend.padEnd(5)} ${r.op.padEnd(19)} ${r.ms.toFixed(1).padStart(8)} ms ${r.gflops.toFixed(2).padStart(7)} GFLOP/s${note}`);
  }
}
