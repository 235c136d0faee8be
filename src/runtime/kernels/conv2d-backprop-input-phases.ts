/**
 * @file The sub-pixel phase decomposition of a strided WASM
 * `Conv2DBackpropInput` (float32, NHWC, some stride > 1), used by
 * conv2d-backprop-input.ts as its default 'split' method.
 *
 * With dx[b, h, w, c] = sum_{i s + p - t = h, j s + q - l = w} dy[b, i, j, o] w[p, q, c, o],
 * dx splits into sH sW phases (h = ph mod sH, w = pw mod sW); each phase is a
 * stride-1 convolution of the un-stuffed dy with the flipped sub-filter of
 * taps p = (ph + t) mod sH (mod s), q likewise (2x2, 2x1, 1x2, 1x1 for 3x3
 * stride 2): sH sW times fewer multiply-adds than convolving a zero-stuffed dy.
 * Each phase gets its own XNNPACK conv, and the outputs are interleaved into dx.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Intermediates, runBackendKernel } from './run-backend-kernel.js';
import type { WasmBackendHeap } from './wasm-heap.js';

const run = runBackendKernel.bind(undefined, 'wasm');

/** One phase of one spatial axis of dx: the rows h = phase + s u, u < count. */
export interface AxisPhase {
  /** h mod s. */
  readonly phase: number;
  /** How many dx rows the phase has: ceil((size - phase) / s), > 0. */
  readonly count: number;
  /** Its first filter tap, (phase + pad) mod s; the taps are first, first + s, ... */
  readonly first: number;
  /** How many taps reach it: ceil((k - first) / s); 0 when the kernel is narrower than the stride. */
  readonly taps: number;
  /** The dy row that the flipped sub-filter's tap 0 reads for u = 0 (< 0 reads padding). */
  readonly start: number;
}

/**
 * Splits one axis (filter size `k`, stride `s`, forward padding `pad` before
 * the first row, dx size `size`) into its phases. With h = phase + s u and
 * tap p = first + s m, h = i s + p - pad gives dy row i = u + floor((phase + pad) / s) - m,
 * so phase u is a stride-1 correlation of dy with the taps first + s (taps - 1 - j), j < taps.
 * @returns one entry per phase with rows (min(s, size) of them), in phase order.
 */
export function planAxisPhases(k: number, s: number, pad: number, size: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let phase = 0; phase < Math.min(s, size); phase++) {
    const first = (phase + pad) % s;
    const taps = first < k ? Math.ceil((k - first) / s) : 0;
    const start = Math.floor((phase + pad) / s) - taps + 1;
    phases.push({ phase, count: Math.ceil((size - phase) / s), first, taps, start });
  }
  return phases;
}

/** The dy window of one phase's stride-1 convolution along one axis. */
export interface PhaseWindow {
  /** dy rows dropped before the window. */
  readonly cropStart: number;
  /** dy rows kept (<= 0: the window misses dy, the phase stays zero). */
  readonly keep: number;
  /** Zero rows added before and after the kept rows. */
  readonly padStart: number;
  readonly padEnd: number;
}

/**
 * The window that phase `p` (taps > 0) reads from `dyRows` rows of dy: its
 * `count` outputs read dy rows start .. start + count + taps - 2; rows outside
 * dy become zero padding, dy rows outside the window are cropped.
 */
export function planPhaseWindow(p: AxisPhase, dyRows: number): PhaseWindow {
  const end = p.start + p.count + p.taps - 1; // one past the last dy row the window reads
  const cropStart = Math.max(0, p.start);
  const cropEnd = Math.max(0, dyRows - end);
  return { cropStart, keep: dyRows - cropStart - cropEnd, padStart: Math.max(0, -p.start), padEnd: Math.max(0, end - dyRows) };
}

/**
 * Builds a phase's filter [taps_h, taps_w, O, C] from the channel-swapped
 * filter [KH, KW, O, C]: tap (jh, jw) is the flipped tap (first_h + sH (taps_h - 1 - jh),
 * first_w + sW (taps_w - 1 - jw)). Caller disposes.
 */
function phaseFilter(swapped: tf.TensorInfo, ph: AxisPhase, pw: AxisPhase, sH: number, sW: number, backend: object): tf.TensorInfo {
  const heap = backend as WasmBackendHeap;
  const [, kw, o, c] = swapped.shape as [number, number, number, number];
  const out = heap.makeOutput([ph.taps, pw.taps, o, c], 'float32');
  // Views are taken after makeOutput: allocating may grow (and detach) the heap.
  const src = heap.typedArrayFromHeap(swapped);
  const dst = heap.typedArrayFromHeap(out);
  const block = o * c; // every (jh, jw) block is written, so no zero fill
  for (let jh = 0; jh < ph.taps; jh++) {
    const p = ph.first + sH * (ph.taps - 1 - jh);
    for (let jw = 0; jw < pw.taps; jw++) {
      const from = (p * kw + pw.first + sW * (pw.taps - 1 - jw)) * block;
      dst.set(src.subarray(from, from + block), (jh * pw.taps + jw) * block);
    }
  }
  return out;
}

/** Copies a phase's conv output [B, count_h, count_w, C] into its pixels of dx [B, H, W, C]. */
function scatterPhase(y: tf.TensorInfo, ph: AxisPhase, pw: AxisPhase, sH: number, sW: number, dx: tf.TensorInfo, backend: object): void {
  const heap = backend as WasmBackendHeap;
  const src = heap.typedArrayFromHeap(y);
  const dst = heap.typedArrayFromHeap(dx);
  const [batch, h, w, c] = dx.shape as [number, number, number, number];
  let s = 0;
  for (let b = 0; b < batch; b++) {
    for (let u = 0; u < ph.count; u++) {
      let d = ((b * h + ph.phase + sH * u) * w + pw.phase) * c;
      for (let v = 0; v < pw.count; v++, s += c, d += sW * c) dst.set(src.subarray(s, s + c), d);
    }
  }
}

/**
 * Interleaves one conv output per phase, all [B, U, V, C] (index ph sW + pw),
 * into dx [B, U sH, V sW, C] with two native passes instead of a per-pixel
 * loop: whole rows into Z [B U sH, sW, V, C], then one 4-D Transpose to
 * [B U sH, V, sW, C], which is dx's layout. Caller disposes.
 */
function interleavePhases(ys: readonly tf.TensorInfo[], sH: number, sW: number, backend: object): tf.TensorInfo {
  const heap = backend as WasmBackendHeap;
  const [batch, u, v, c] = (ys[0] as tf.TensorInfo).shape as [number, number, number, number];
  const z = heap.makeOutput([batch * u * sH, sW, v, c], 'float32');
  try {
    const dst = heap.typedArrayFromHeap(z);
    const row = v * c;
    ys.forEach((y, p) => {
      const src = heap.typedArrayFromHeap(y);
      const ph = Math.floor(p / sW);
      const pw = p % sW;
      for (let r = 0; r < batch * u; r++) dst.set(src.subarray(r * row, (r + 1) * row), ((r * sH + ph) * sW + pw) * row);
    });
    const t = run(tf.Transpose, backend, { x: z }, { perm: [0, 2, 1, 3] });
    const dx = run(tf.Reshape, backend, { x: t }, { shape: [batch, u * sH, v * sW, c] });
    (backend as tf.KernelBackend).disposeData(t.dataId);
    return dx;
  } finally {
    (backend as tf.KernelBackend).disposeData(z.dataId);
  }
}

/**
 * dx [B, H, W, C] (float32) of a float32 NHWC call with some stride > 1, one
 * XNNPACK conv per phase. When every phase is reached and all have the same
 * size (sizes divisible by the strides: the usual case) the outputs are
 * interleaved natively; otherwise they are scattered into a zeroed dx, where
 * phases that no tap reaches or whose window misses dy stay zero. Caller disposes.
 */
export function phaseBackpropInput(dy: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, backend: object): tf.TensorInfo {
  const { filterHeight, filterWidth, strideHeight: sH, strideWidth: sW, inHeight, inWidth, padInfo } = info;
  const [batch, outH, outW, outC] = dy.shape as [number, number, number, number];
  const hAll = planAxisPhases(filterHeight, sH, padInfo.top, inHeight);
  const wAll = planAxisPhases(filterWidth, sW, padInfo.left, inWidth);
  const hLive = hAll.filter((p) => p.taps > 0).map((p) => [p, planPhaseWindow(p, outH)] as const);
  const wLive = wAll.filter((p) => p.taps > 0).map((p) => [p, planPhaseWindow(p, outW)] as const);
  const pairs = hLive.flatMap((h) => wLive.map((w) => [h, w] as const));
  const live = pairs.filter(([[, gh], [, gw]]) => gh.keep > 0 && gw.keep > 0);
  const complete = live.length === pairs.length && hLive.length === hAll.length && wLive.length === wAll.length;
  const regular = complete && pairs.length === sH * sW && inHeight % sH === 0 && inWidth % sW === 0;
  const heap = backend as WasmBackendHeap;
  const temp = new Intermediates(backend);
  let dx: tf.TensorInfo | undefined;
  try {
    if (!regular) {
      dx = heap.makeOutput([batch, inHeight, inWidth, info.inChannels], 'float32');
      if (!complete || pairs.length === 0) heap.typedArrayFromHeap(dx).fill(0);
    }
    const swapped = temp.add(run(tf.Transpose, backend, { x: filter }, { perm: [0, 1, 3, 2] })); // [KH, KW, O, C]
    const ys: tf.TensorInfo[] = [];
    for (const [[ph, gh], [pw, gw]] of live) {
      const step = new Intermediates(backend);
      try {
        let x = dy;
        if (gh.keep !== outH || gw.keep !== outW) {
          x = step.add(run(tf.Slice, backend, { x: dy }, { begin: [0, gh.cropStart, gw.cropStart, 0], size: [batch, gh.keep, gw.keep, outC] }));
        }
        const g = step.add(phaseFilter(swapped, ph, pw, sH, sW, backend));
        const y = run(tf.Conv2D, backend, { x, filter: g }, {
          strides: [1, 1],
          pad: [[0, 0], [gh.padStart, gh.padEnd], [gw.padStart, gw.padEnd], [0, 0]],
          dataFormat: 'NHWC',
          dilations: [1, 1],
        });
        // A scattered output is freed right away, before the next conv allocates.
        (regular ? temp : step).add(y);
        if (regular) ys.push(y);
        else scatterPhase(y, ph, pw, sH, sW, dx as tf.TensorInfo, backend);
      } finally {
        step.dispose();
      }
    }
    if (regular) dx = interleavePhases(ys, sH, sW, backend);
    return dx as tf.TensorInfo;
  } catch (error) {
    if (dx !== undefined) temp.add(dx);
    throw error;
  } finally {
    temp.dispose(dx);
  }
}
