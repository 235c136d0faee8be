/**
 * @file Where the installed package lives: the folder above this file that
 * holds perceptual's own package.json. Works from `src/` (tsx, tests) and
 * from the compiled `dist/src/`, in the repository or in an installed
 * `node_modules/perceptual`, so bundled files (models/, dist/vendor/) are
 * found wherever the package is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The package's root folder (holds package.json with `"name": "perceptual"`).
 * @throws Error when no such package.json is above this file (a broken install)
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'perceptual') {
      root = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`perceptual: cannot find its own package.json above ${fileURLToPath(import.meta.url)}. Reinstall the package.`);
    dir = parent;
  }
}
