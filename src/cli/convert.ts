/**
 * @file `perceptual convert ml5 DIR -o MODEL`: an ml5 / deeplearn.js style
 * checkpoint folder (manifest.json + Variable files) as one perceptual
 * `.safetensors` model file, which browsers, the HTTP service and every
 * other entry point load from a single URL or byte array.
 */
import { Command, Option } from 'commander';
import { optionTypeError } from '../errors.js';
import { type CommonOptions, commandAction, withCommonOptions } from './command-helpers.js';
import type { CliContext } from './context.js';
import type { Output } from './output.js';

interface ConvertOptions extends CommonOptions {
  out?: string;
  dtype: 'F16' | 'F32';
}

/** The `convert` command and its `ml5` subcommand. */
export function convertCommand(context: CliContext): Command {
  const ml5 = new Command('ml5')
    .description('Convert an ml5/deeplearn.js style checkpoint folder (manifest.json + Variable files) to a .safetensors model file.')
    .argument('<dir>', 'the checkpoint folder')
    .option('-o, --out <model>', 'the model file to write (.safetensors)')
    .addOption(new Option('--dtype <t>', 'storage type: F16 halves the file, F32 keeps the checkpoint\'s values exactly').choices(['F16', 'F32']).default('F32'));
  withCommonOptions(ml5).action(
    commandAction(context, async (output: Output, options: ConvertOptions, dir: string) => {
      if (options.out === undefined) throw optionTypeError('--out', 'the path of the .safetensors file to write', options.out);
      const { selectBackend } = await import('../runtime/index.js');
      await selectBackend({ backend: 'cpu' });
      const { importMl5Checkpoint } = await import('../weights/ml5-checkpoint.js');
      const { saveModel } = await import('../weights/model-file.node.js');
      const tf = await import('@tensorflow/tfjs-core');
      const model = await importMl5Checkpoint(dir);
      try {
        await saveModel(options.out, model, { dtype: options.dtype });
      } finally {
        tf.dispose(Object.values(model.params));
      }
      output.info(`converted ${dir} (${JSON.stringify(model.arch)}) to ${options.dtype}`);
      output.result(options.out);
    }),
  );
  return new Command('convert').description('Convert models from other formats to perceptual model files.').addCommand(ml5);
}
