/**
 * @file What a run's model is, from its resolved options alone: the
 * architecture and the provenance written into the model file. Shared by
 * the training loop (the final model) and by exporting a checkpoint, so a
 * model exported from step N says the same as one the run writes at its end.
 */
import { resolveSrArch, resolveStyleArch } from '../networks/arch.js';
import type { SrArch, StyleArch, TransformArch, TransformModel } from '../types.js';
import type { ResolvedTrainOptions } from './train-options.js';

/** The transform network's architecture of a run. */
export function runArch(options: ResolvedTrainOptions): TransformArch {
  return options.task !== 'sr' ? resolveStyleArch(options.arch as Partial<StyleArch>, 'options.arch') : resolveSrArch(options.arch as Partial<SrArch>, 'options.arch');
}

/**
 * The provenance of a model trained by a run.
 * @param lossNetwork how the loss network is named in the model file
 * @param step the step the weights come from, when not the run's last
 */
export function runProvenance(options: ResolvedTrainOptions, lossNetwork: string, step?: number): TransformModel['provenance'] {
  const what = options.task === 'style' ? `style image ${options.style}` : options.task === 'distill' ? `student of ${options.teacher}` : `x${(options.arch as Partial<SrArch>).scale ?? 4} SR, ${options.degradation} degradation`;
  const steps = step === undefined ? `${options.iterations ?? `${options.epochs} epochs`} iterations` : `checkpoint of step ${step}`;
  return {
    trained_with: `perceptual train ${options.task}: ${what}${options.init ? `, fine-tuned from ${options.init}` : ''}, data ${options.data.join(', ')}, ${steps}, batch ${options.batchSize}, ${options.imageSize}px, lr ${options.lr}`,
    loss_network: lossNetwork,
    source: 'perceptual train',
  };
}
