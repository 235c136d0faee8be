/**
 * @file `perceptual doctor`: what this machine offers (Node, CPU, memory,
 * tfjs packages, each backend and why it does or does not load, WASM SIMD,
 * CUDA) and which backend a command would choose. It also activates that
 * backend, so "available" is proven rather than only probed.
 */
import { Command } from 'commander';
import { describeEnvironment, formatEnvironment } from '../runtime/index.js';
import { type CommonOptions, chooseBackend, commandAction, packageVersion, withCommonOptions } from './command-helpers.js';
import type { CliContext } from './context.js';
import type { Output } from './output.js';

interface DoctorOptions extends CommonOptions {
  json?: boolean;
}

/** The `doctor` command. */
export function doctorCommand(context: CliContext): Command {
  const command = new Command('doctor')
    .description('Describe the environment: Node, CPU, tfjs packages, each backend and why it loads or not, and which one is chosen.')
    .option('--json', 'print the description as JSON on stdout', false);
  return withCommonOptions(command).action(
    commandAction(context, async (output: Output, options: DoctorOptions) => {
      await chooseBackend(context, output, options.backend, 'infer');
      const info = await describeEnvironment({ backend: options.backend, env: context.env });
      if (options.json) {
        output.result(JSON.stringify({ perceptual: packageVersion(), ...info }, null, 2));
      } else {
        output.result(`perceptual ${packageVersion()}\n${formatEnvironment(info)}`);
      }
    }),
  );
}
