/**
 * @file Public surface of browser training (`perceptual/browser/train`).
 *
 * tfjs-core registers no gradient by itself, and the browser entry leaves
 * them out because its worker only infers: importing this module registers
 * them, so that trainStep can differentiate. tfjs-core's
 * `dist/register_all_gradients.js` has extensionless imports that only a
 * bundler resolves (Node registers from a prebuilt bundle instead, in
 * runtime/gradients.node.ts), which is why this is a browser entry and not
 * part of the Node API. The project's MirrorPad gradient is registered after
 * tfjs-core's, which it replaces (tfjs-core 4.22's drops the gradient of the
 * mirrored border; runtime/mirror-pad-gradient.ts). ES modules evaluate once,
 * so a later import of register_all_gradients by the application cannot put
 * tfjs-core's back.
 *
 * What is exported is the step and what builds its context, none of it
 * reaching a Node module: the training loop of the Node API (train.ts)
 * reads datasets, writes checkpoints and spawns worker threads, so a browser
 * application writes its own loop around trainStep.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { registerMirrorPadGradient } from '../runtime/mirror-pad-gradient.js';

registerMirrorPadGradient();

export { trainStep, type TrainStepContext } from '../train/train-step.js';
export {
  DEFAULT_PERCEPTUAL_LOSS_OPTIONS,
  type PerceptualLossNumbers,
  type PerceptualLossOptions,
  resolvePerceptualLossOptions,
  styleTargets,
} from '../losses/index.js';
export { DEFAULT_SR_ARCH, DEFAULT_STYLE_ARCH, resolveSrArch, resolveStyleArch } from '../networks/arch.js';
export { initParams } from '../networks/init.js';
export { transform } from '../networks/transform.js';
export { createVgg, randomVggWeights, VGG_LAYERS, type VggWeights } from '../networks/vgg.js';
/** VGG weights from the bytes of a torchvision/timm safetensors state dict (fetched, uploaded): the browser's loadVggWeights. */
export { parseTorchvisionVgg } from '../weights/torchvision-vgg.js';
/** The trained model as a `.safetensors` model file, which createBrowserStylizer loads. */
export { serializeModel } from '../weights/model-file.js';
