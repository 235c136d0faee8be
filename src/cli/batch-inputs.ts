/**
 * @file Input expansion for the batch image commands (`stylize`,
 * `upscale`): each argument is a file, a directory (walked recursively for
 * image files) or a glob (`photos/*.jpg`, `shots/**\/*.{png,webp}`), and
 * each input gets a relative name that its output mirrors.
 *
 * The glob matcher is our own, minimal one: `fs.glob` arrived in Node 22
 * and `path.matchesGlob` in 20.17 (experimental, with a warning), while the
 * package supports Node >= 20.9 and adds no dependency for this. It knows
 * `*` and `?` (not across `/`), `**` (any number of folders), `[abc]`,
 * `[!abc]` and `{a,b}`; patterns use `/` on every platform. Like a shell it
 * skips hidden entries (names starting with `.`), which also keeps the
 * atomic writer's `.name.tmp` files out. Shells expand unquoted globs
 * themselves; this serves quoted ones and shells that do not (cmd.exe).
 */
import { existsSync, realpathSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';

/** Extensions a directory walk picks up (what sharp decodes). */
export const INPUT_EXTENSIONS = Object.freeze(['.png', '.jpg', '.jpeg', '.webp', '.avif', '.tif', '.tiff', '.gif'] as const);

/** One input image. */
export interface BatchInput {
  /** The path to read, as the user wrote it (or joined under their folder). */
  readonly path: string;
  /** Name relative to the argument's root (folder or glob base), `/`-separated: what the output mirrors. */
  readonly relative: string;
  /** Absolute path with links resolved (the path itself when it does not exist). */
  readonly real: string;
}

/** An argument that yielded nothing. */
export interface ExpansionProblem {
  readonly argument: string;
  readonly message: string;
}

/** What expandInputs found. */
export interface ExpandedInputs {
  /** Inputs in argument order; within an argument, sorted by name; duplicates dropped. */
  readonly inputs: readonly BatchInput[];
  /** Arguments that matched no file (a glob without matches, an empty folder). */
  readonly problems: readonly ExpansionProblem[];
}

/** True when `argument` contains glob syntax (`*`, `?`, `[`, `{`). */
export function hasGlobMagic(argument: string): boolean {
  return /[*?[{]/.test(argument);
}

/**
 * Compiles a `/`-separated glob to a RegExp over `/`-separated relative paths
 * (see the file comment for the syntax).
 */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` matches zero or more whole folders; a trailing `**` anything.
        const slash = pattern[i + 2] === '/';
        source += slash ? '(?:[^/]*(?:/|$))*' : '.*';
        i += slash ? 2 : 1;
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        source += '\\[';
      } else {
        let body = pattern.slice(i + 1, end);
        const negated = body.startsWith('!') || body.startsWith('^');
        if (negated) body = body.slice(1);
        source += `[${negated ? '^/' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
        i = end;
      }
    } else if (char === '{') {
      braces++;
      source += '(?:';
    } else if (char === '}' && braces > 0) {
      braces--;
      source += ')';
    } else if (char === ',' && braces > 0) {
      source += '|';
    } else {
      source += char.replace(/[.+^$()|\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}${')'.repeat(braces)}$`);
}

/** Splits a glob into the folder before its first magic segment and the rest. */
export function splitGlob(pattern: string): { base: string; rest: string } {
  const segments = pattern.split('/');
  const first = segments.findIndex(hasGlobMagic);
  const baseSegments = segments.slice(0, first);
  const base = baseSegments.length === 0 ? '.' : baseSegments.join('/') || '/';
  return { base, rest: segments.slice(first).join('/') };
}

/** Absolute path with links resolved; for a path that does not exist yet, its folder's. */
export function realPathOf(path: string): string {
  if (existsSync(path)) return realpathSync(path);
  // Terminates: the root always exists.
  return join(realPathOf(dirname(resolve(path))), basename(path));
}

/**
 * Expands file, directory and glob arguments into input images.
 * @param options.exclude a folder skipped when met below an input folder (the output folder)
 * @example
 * const { inputs, problems } = await expandInputs(['photos', 'extra/*.jpg'], { exclude: 'out' });
 */
export async function expandInputs(argumentsList: readonly string[], options: { exclude?: string } = {}): Promise<ExpandedInputs> {
  const exclude = options.exclude === undefined ? undefined : realPathOf(options.exclude);
  const inputs: BatchInput[] = [];
  const problems: ExpansionProblem[] = [];
  const seen = new Set<string>();
  const add = (path: string, relativeName: string): void => {
    const real = realPathOf(path);
    if (seen.has(real)) return;
    seen.add(real);
    inputs.push({ path, relative: relativeName, real });
  };
  for (const argument of argumentsList) {
    const before = inputs.length;
    const pattern = process.platform === 'win32' ? argument.replaceAll('\\', '/') : argument;
    const info = await stat(argument).catch(() => undefined);
    if (info?.isDirectory()) {
      for (const name of await walk(argument, exclude, Infinity)) {
        if ((INPUT_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase())) add(join(argument, name), name);
      }
      if (inputs.length === before) problems.push({ argument, message: `the folder '${argument}' holds no image files (${INPUT_EXTENSIONS.join(', ')})` });
    } else if (info === undefined && hasGlobMagic(pattern)) {
      const { base, rest } = splitGlob(pattern);
      const matcher = globToRegExp(rest);
      const depth = rest.includes('**') ? Infinity : rest.split('/').length;
      const baseInfo = await stat(base).catch(() => undefined);
      const names = baseInfo?.isDirectory() ? await walk(base, exclude, depth) : [];
      for (const name of names) if (matcher.test(name)) add(join(base, name), name);
      if (inputs.length === before) problems.push({ argument, message: `the pattern '${argument}' matches no file` });
    } else {
      // A file, or a path that does not exist: reading it reports why.
      add(argument, basename(argument));
    }
  }
  return { inputs, problems };
}

/** Files under `root` (not hidden, not under `exclude`), as sorted `/`-separated relative names, at most `depth` levels deep. */
async function walk(root: string, exclude: string | undefined, depth: number): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string, prefix: string, level: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      // Follow links like a shell does: stat, not the dirent type.
      const info = entry.isSymbolicLink() ? await stat(path).catch(() => undefined) : entry;
      if (info?.isDirectory()) {
        // The output folder inside an input folder: never read back what a run wrote.
        if (level < depth && !(exclude !== undefined && realPathOf(path) === exclude)) await visit(path, name, level + 1);
      } else if (info?.isFile() && level <= depth) {
        found.push(name);
      }
    }
  };
  await visit(root, '', 1);
  return found;
}

