/**
 * @file The public API of perceptual (Node entry). Browsers import
 * `src/browser` instead; it has no Node built-ins.
 *
 * @example
 * ```ts
 * import { selectBackend, loadTransformModel, readImage, resolveModel, transform, writeImage } from 'perceptual';
 * await selectBackend({ purpose: 'infer' });
 * const model = await loadTransformModel(await resolveModel('wave'));
 * const image = await readImage('photo.jpg');
 * const styled = transform(model, image, { lean: true });
 * await writeImage('styled.png', styled);
 * image.dispose(); styled.dispose();
 * ```
 */
export * from './errors.js';
export type * from './types.js';
export { Random, type RandomState } from './random.js';

// Runtime: choosing a backend (the candidates and the planner stay internal).
export { BACKEND_ENV_VAR, BACKEND_ORDER, BACKENDS, type BackendName, type Purpose, WASM_PATH_ENV_VAR } from './runtime/backends.js';
export { availableBackends, type BackendAttempt, currentRuntime, type Runtime, selectBackend, type SelectBackendOptions } from './runtime/select-backend.js';
export { describeEnvironment, type EnvironmentInfo, formatEnvironment } from './runtime/describe-environment.js';
export { wasmSimdSupported, wasmSupported, wasmThreadsSupported } from './runtime/wasm-features.js';

// Losses (SPEC section 3).
export * from './losses/index.js';

// Loss networks (SPEC section 2) and their weights (SPEC section 6).
export { createVgg, randomVggWeights, vggPreprocess, VGG_LAYERS } from './networks/vgg.js';
export { loadLayersLossNetwork } from './networks/layers-loss-network.js';
export { loadLossNetwork, type LossNetworkSpec } from './networks/load-loss-network.js';
export { loadVggWeights } from './weights/vgg-weights.js';
export { cachedVggWeightsPath, defaultCacheDir, fetchVggWeights, VGG_DOWNLOADS } from './weights/fetch-weights.js';

// Transform networks (SPEC section 4) and model files (SPEC section 5).
export { DEFAULT_SR_ARCH, DEFAULT_STYLE_ARCH, parseArch, resolveArch, resolveSrArch, resolveStyleArch } from './networks/arch.js';
export { initParams } from './networks/init.js';
export { transform, transformParamSpecs, type TransformOptions } from './networks/transform.js';
export { parseModel, serializeModel } from './weights/model-file.js';
export { loadModel, saveModel } from './weights/model-file.node.js';
export { importMl5Checkpoint } from './weights/ml5-checkpoint.js';
export { fetchMl5Checkpoint, type FetchMl5CheckpointOptions } from './weights/fetch-ml5-checkpoint.js';
export { loadTransformModel } from './weights/load-transform-model.js';
export { bundledModels, bundledModelsDir, defaultModel, resolveModel, MODEL_NAME_PATTERN, type BundledModel, type ModelTask } from './weights/model-registry.js';
export { parseSafetensors, serializeSafetensors } from './weights/safetensors.js';

// Images: the pixel buffers (src/pixels.ts), files and tensors.
export type { FloatImage, HwcImage, RgbaImage, RgbImage } from './pixels.js';
export { decodeImage, encodeImage, readImage, writeImage } from './data/image-io.js';
export { imageToTensor, tensorToRgb } from './data/image-tensor.js';

// Training, optimisation, evaluation.
export { resumeTraining, train } from './train/train.js';
export { optimizeImage } from './optimize/optimize-image.js';
export { optimizeSr, optimizeStyle } from './optimize/optimize-tasks.js';
export {
  bicubicUpscale,
  type ImageQuality,
  imageQuality,
  lumaPlane,
  type MetricChannel,
  type MetricImage,
  type MetricOptions,
  psnr,
  quantizeImage,
  ssim,
  type Uint8Image,
} from './metrics/index.js';
export { evaluateSr } from './eval/eval-sr.js';
export { evaluateStyle } from './eval/eval-style.js';

// Inference: the short way (any input kind in, the same kind out), then tiling, worker pool, HTTP.
export {
  createStylizer,
  createUpscaler,
  type ImageInput,
  type ImageOutput,
  type ImageTransformerOptions,
  type PixelImage,
  type StylizeCallOptions,
  type Stylizer,
  type TransformCallOptions,
  type Upscaler,
} from './infer/image-transformer.node.js';
export { blend } from './infer/blend.js';
export type { ProgressCallback } from './infer/run-tiled.js';
export { sharpCodec } from './serve/image-codec.node.js';
export { inferImage } from './infer/infer-image.js';
export { planTiles } from './infer/tile-plan.js';
export { createPool } from './serve/pool.node.js';
export { createBandRunner } from './serve/band-runner.node.js';
export { createInProcessPool } from './serve/in-process-pool.js';
export { createHandler, createService } from './serve/handler.js';
export { serveNode } from './serve/node-adapter.js';
export type { OnnxExportOptions } from './export/onnx-export.js';

/**
 * Exports a transform network as ONNX (see src/export/onnx-export.ts). The
 * ONNX writer (protobufjs) loads on the first call, so importing
 * perceptual does not pay for it.
 */
export async function exportOnnx(...args: Parameters<typeof import('./export/onnx-export.js').exportOnnx>): Promise<Uint8Array> {
  return (await import('./export/onnx-export.js')).exportOnnx(...args);
}
