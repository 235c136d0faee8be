/**
 * @file The Download button's work: the result canvas as a PNG file.
 */

/**
 * Saves a canvas as a PNG through a temporary download link.
 * @throws Error when the canvas cannot be encoded (empty or too large)
 */
export async function downloadPng(canvas: HTMLCanvasElement, fileName: string): Promise<void> {
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (blob === null) throw new Error(`cannot encode the ${canvas.width}x${canvas.height} result as PNG; try a smaller image`);
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
  // The download has read the blob by the next turn or so; free it a little later.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
