/**
 * @file Test helpers for the tests that drive Debian's `chromium` headless
 * through playwright-core: where it is, the SKIP line when it is missing, and
 * the command-line flags they launch it with.
 */

/** Debian's chromium package (apt-get install -y --no-install-recommends chromium). */
export const CHROMIUM = '/usr/bin/chromium';

/** The SKIP line a test file (its path from the repository root) prints when CHROMIUM is missing. */
export function chromiumSkipMessage(testFile: string): string {
  return `SKIP ${testFile}: ${CHROMIUM} is missing (apt-get install -y --no-install-recommends chromium)`;
}

/**
 * The launch flags: headless without the sandbox (which needs privileges a
 * container or root user lacks), and none of Chromium's own network traffic.
 * `webgpu` exposes WebGPU (behind a flag on Linux; headless Chromium offers
 * only SwiftShader, a software adapter); without it the GPU is disabled, so
 * navigator.gpu offers no adapter at all.
 */
export function chromiumArgs(options: { webgpu: boolean }): string[] {
  return ['--headless', '--no-sandbox', options.webgpu ? '--enable-unsafe-webgpu' : '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
}
