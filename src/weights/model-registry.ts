/**
 * @file The registry of bundled models: `models/index.json` in the package
 * (found from this file's location, so it works from the repository and
 * from an installed package alike) lists each model's name, task, file (in
 * the models folder) and a one-line description, and names the default
 * model of each task. It is data: adding a model is one line of JSON.
 *
 *     { "defaults": { "style": "wave", "sr": "sr-x4" },
 *       "models": [ { "name": "wave", "task": "style", "file": "wave.safetensors", "description": "..." } ] }
 *
 * `resolveModel` turns what a user wrote after `--model` into a path: an
 * existing file or folder wins (so a local file named like a model is never
 * shadowed), then a bundled model's name; a bare word that is neither is an
 * error listing the known names.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { perceptualError } from '../errors.js';
import { packageRoot } from '../package-root.js';

/** The two kinds of transform network. */
export type ModelTask = 'style' | 'sr';

/** The registry's file name inside the models folder. */
export const MODEL_REGISTRY_FILE = 'index.json';

/** What a model name may be: also a URL segment of the HTTP service (`/v1/stylize/NAME`). */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const TASKS: readonly ModelTask[] = ['style', 'sr'];

/** One bundled model. */
export interface BundledModel {
  readonly name: string;
  readonly task: ModelTask;
  /** Absolute path of its `.safetensors` file. */
  readonly file: string;
  /** One line: what it is and how good. */
  readonly description: string;
  /** True when it is what `stylize` (style) or `upscale` (sr) runs without --model. */
  readonly default: boolean;
}

/** Where to read the registry; default the package's own models folder. */
export interface ModelRegistryOptions {
  readonly dir?: string;
}

/** The package's models folder (holds the registry and the model files). */
export function bundledModelsDir(): string {
  return join(packageRoot(), 'models');
}

/**
 * Reads and checks the registry.
 * @returns the models in registry order, files as absolute paths
 * @throws PerceptualError E_IO when the registry cannot be read, E_MODEL_FORMAT
 *   naming the first problem in it (bad JSON, field, duplicate name, bad default)
 * @example
 * for (const m of await bundledModels()) console.log(m.name, m.task, m.file);
 */
export async function bundledModels(options: ModelRegistryOptions = {}): Promise<BundledModel[]> {
  const dir = options.dir ?? bundledModelsDir();
  const path = join(dir, MODEL_REGISTRY_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw perceptualError('E_IO', `Cannot read the model registry ${path}: ${(error as Error).message}. Reinstall perceptual, or pass --model FILE.`, error);
  }
  const bad = (problem: string, cause?: unknown): never => {
    throw perceptualError('E_MODEL_FORMAT', `The model registry ${path} ${problem}. Fix that file (each entry: {"name", "task": "style"|"sr", "file", "description"}; "defaults": {"style": NAME, "sr": NAME}).`, cause);
  };
  let registry: { models?: unknown; defaults?: unknown };
  try {
    registry = JSON.parse(text);
  } catch (error) {
    return bad(`is not valid JSON (${(error as Error).message})`, error);
  }
  if (registry === null || typeof registry !== 'object' || !Array.isArray(registry.models)) bad('has no "models" array');
  const entries = registry.models as unknown[];
  const seen = new Map<string, ModelTask>();
  const models = entries.map((raw, index) => {
    const entry = (raw ?? {}) as Record<string, unknown>;
    const where = `entry ${index}${typeof entry.name === 'string' ? ` ('${entry.name}')` : ''}`;
    const { name, task, file, description } = entry;
    if (typeof name !== 'string' || !MODEL_NAME_PATTERN.test(name)) bad(`${where}: "name" must be letters, digits, ".", "_" or "-" (at most 64, starting with a letter or digit), got ${JSON.stringify(name)}`);
    if (seen.has(name as string)) bad(`${where}: the name '${name}' is used twice`);
    if (!TASKS.includes(task as ModelTask)) bad(`${where}: "task" must be "style" or "sr", got ${JSON.stringify(task)}`);
    if (typeof file !== 'string' || !file.endsWith('.safetensors') || isAbsolute(file) || file.split(/[\\/]/).includes('..')) {
      bad(`${where}: "file" must be a .safetensors file inside the models folder, got ${JSON.stringify(file)}`);
    }
    if (typeof description !== 'string' || description.trim() === '') bad(`${where}: "description" must be a non-empty string`);
    seen.set(name as string, task as ModelTask);
    return { name: name as string, task: task as ModelTask, file: join(dir, file as string), description: description as string };
  });
  const defaults = (registry.defaults ?? {}) as Record<string, unknown>;
  if (typeof defaults !== 'object' || Array.isArray(defaults)) bad('has a "defaults" that is not an object');
  for (const [task, name] of Object.entries(defaults)) {
    if (!TASKS.includes(task as ModelTask)) bad(`has a default for the unknown task ${JSON.stringify(task)} (tasks: style, sr)`);
    if (seen.get(name as string) !== task) bad(`names ${JSON.stringify(name)} as the default ${task} model, but no ${task} model has that name`);
  }
  return models.map((m) => ({ ...m, default: defaults[m.task] === m.name }));
}

/**
 * The default model of a task (what `stylize` / `upscale` run without --model).
 * @throws PerceptualError E_OPTIONS when the registry names none; as bundledModels
 */
export async function defaultModel(task: ModelTask, options: ModelRegistryOptions = {}): Promise<BundledModel> {
  const models = await bundledModels(options);
  const found = models.find((m) => m.task === task && m.default);
  if (found === undefined) {
    throw perceptualError('E_OPTIONS', `No default ${task} model is bundled (the registry's "defaults" names none). Pass --model with a name (${knownNames(models)}) or a model file.`);
  }
  return bundledFile(found);
}

/**
 * What a `--model` value means, as a path for loadTransformModel: an existing
 * file or folder as it is; else a bundled model's name as its file; else a
 * value that looks like a path (has a `/` or `\`, or ends `.safetensors`) as
 * it is, so loading it reports the missing file. Without a value, the default
 * model of `options.task`.
 * @throws PerceptualError E_OPTIONS for a bare word that is neither a file nor
 *   a bundled name (the message lists the names), E_IO when a bundled file is
 *   missing; as bundledModels
 * @example
 * const path = await resolveModel('wave'); // .../models/wave.safetensors
 * const fallback = await resolveModel(undefined, { task: 'sr' });
 */
export async function resolveModel(nameOrPath: string | undefined, options: ModelRegistryOptions & { readonly task?: ModelTask } = {}): Promise<string> {
  if (nameOrPath === undefined) {
    if (options.task === undefined) throw perceptualError('E_OPTIONS', 'resolveModel: give a model name or path, or options.task ("style" or "sr") for the default model.');
    return (await defaultModel(options.task, options)).file;
  }
  if (existsSync(nameOrPath)) return nameOrPath;
  const models = await bundledModels(options);
  const found = models.find((m) => m.name === nameOrPath);
  if (found !== undefined) return bundledFile(found).file;
  if (/[\\/]/.test(nameOrPath) || nameOrPath.toLowerCase().endsWith('.safetensors')) return nameOrPath;
  throw perceptualError(
    'E_OPTIONS',
    `No file or folder '${nameOrPath}' exists, and no bundled model has that name. Bundled models: ${knownNames(models)}. Pass one of these names (\`perceptual models\` describes them), or the path of a .safetensors model file or an ml5 checkpoint folder.`,
  );
}

/** `a (style, default), b (sr)` */
function knownNames(models: readonly BundledModel[]): string {
  if (models.length === 0) return 'none';
  return models.map((m) => `${m.name} (${m.task}${m.default ? ', default' : ''})`).join(', ');
}

function bundledFile(model: BundledModel): BundledModel {
  if (!existsSync(model.file)) {
    throw perceptualError('E_IO', `The bundled model '${model.name}' is missing its file ${model.file}. Reinstall perceptual, or pass --model FILE.`);
  }
  return model;
}
