/**
 * The edge worker: perceptual's HTTP service (`POST /v1/stylize/wave`,
 * `POST /v1/upscale/sr-x4`, `GET /healthz`, `/v1/models`, `/metrics`) as a
 * module whose default export has `fetch`, which is what Cloudflare Workers
 * (workerd) and `deno serve` run. build.mjs bundles it twice: for workerd the
 * `.wasm` and `.safetensors` imports stay separate modules (compiled WASM and
 * data; workerd compiles no WebAssembly at run time), for Deno they are
 * inlined as bytes. To serve another model, import its file and add it to
 * `models` under the name its route should use.
 */
import tfjsSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';
import kernels from 'perceptual/wasm/perceptual-kernels.wasm';
import laMuse from 'perceptual/models/la_muse.safetensors';
import wave from 'perceptual/models/wave.safetensors';
import srX4 from 'perceptual/models/sr-x4.safetensors';
import { createEdgeWorker } from 'perceptual/edge';

export default createEdgeWorker({ models: { la_muse: laMuse, wave, 'sr-x4': srX4 }, wasm: { tfjsSimd, kernels } });
