/**
 * @file `perceptual export --onnx MODEL -o OUT.onnx [--opset N]`: writes a
 * transform network (a perceptual model file or an ml5 checkpoint folder) as
 * an ONNX model for onnxruntime (src/export/onnx-export.ts), atomically.
 */
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { optionRangeError } from '../errors.js';
import { type CommonOptions, chooseBackend, commandAction, parseInteger, withCommonOptions } from './command-helpers.js';
import type { CliContext } from './context.js';
import type { Output } from './output.js';

interface ExportOptions extends CommonOptions {
  onnx: string;
  output: string;
  opset?: number;
}

/** The `export` command. */
export function exportCommand(context: CliContext): Command {
  const command = new Command('export')
    .description('Write a transform network as an ONNX model (NHWC float32 input in [0, 1], dynamic size) to run with onnxruntime.')
    .requiredOption('--onnx <model>', 'the network to export: a perceptual .safetensors model or an ml5/deeplearn.js checkpoint folder')
    .requiredOption('-o, --output <file>', 'where to write the .onnx model (atomically)')
    .option('--opset <n>', 'ONNX opset version, 13..21 (default 17)', parseInteger);
  return withCommonOptions(command).action(
    commandAction(context, async (output: Output, options: ExportOptions) => {
      const { exportOnnx, minOnnxInputSize } = await import('../export/onnx-export.js');
      const { loadTransformModel } = await import('../weights/load-transform-model.js');
      const { writeFileAtomic } = await import('../atomic-write.js');
      if (resolve(options.output) === resolve(options.onnx)) {
        throw optionRangeError('--output', `a different path from the model '${options.onnx}' (export never overwrites its input)`, options.output);
      }
      await chooseBackend(context, output, options.backend, 'infer');
      const model = await loadTransformModel(options.onnx);
      try {
        const bytes = await exportOnnx(model, { opset: options.opset });
        await writeFileAtomic(options.output, bytes);
        output.info(
          `wrote ${options.output} (${(bytes.length / 1e6).toFixed(2)} MB, ${model.arch.task} network, opset ${options.opset ?? 17}; ` +
            `input 'image' NHWC [batch, height, width, 3] in [0, 1], height and width >= ${minOnnxInputSize(model)})`,
        );
        output.result(options.output);
      } finally {
        tf.dispose(Object.values(model.params));
      }
    }),
  );
}
