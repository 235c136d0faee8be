/**
 * @file Node has no `ImageData`; the browser client only constructs one
 * from (data, width, height), so suites that run it in Node install this.
 */
const globals = globalThis as { ImageData?: unknown };
if (globals.ImageData === undefined) {
  globals.ImageData = class {
    constructor(
      readonly data: Uint8ClampedArray,
      readonly width: number,
      readonly height: number,
    ) {}
  };
}
