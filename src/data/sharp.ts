/**
 * @file sharp (libvips), loaded on first use: it is the heaviest import of
 * the package, and `import 'perceptual'` should not pay for it before an
 * image is decoded or encoded.
 */
type Sharp = typeof import('sharp')['default'];

let loading: Promise<Sharp> | undefined;

/** The sharp function; the module loads once, on the first call. */
export function loadSharp(): Promise<Sharp> {
  loading ??= import('sharp').then((module) => module.default);
  return loading;
}
