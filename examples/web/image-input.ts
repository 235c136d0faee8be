/**
 * @file Where the page's images come from: the file input, a file dropped
 * anywhere on the page, or an image pasted from the clipboard; and their
 * decoding to the exact pixels of the file.
 */

/** Decodes an image file to RGBA pixels. @throws Error when the browser cannot decode it */
export async function decodeImage(file: Blob): Promise<ImageData> {
  // No colour-space conversion or premultiplication: the network sees the file's bytes.
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d')!;
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

/** The first image among a DataTransfer's files (a drop, a paste), if any. */
function firstImage(transfer: DataTransfer | null): File | undefined {
  return Array.from(transfer?.files ?? []).find((file) => file.type.startsWith('image/'));
}

/**
 * Calls `onFile` with each image the user picks in `input`, drops on the
 * page, or pastes (Ctrl+V). While a file is dragged over the page, `dropZone`
 * has the class `dragging`.
 */
export function listenForImages(input: HTMLInputElement, dropZone: HTMLElement, onFile: (file: File) => void): void {
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file) onFile(file);
  });
  // The whole page takes drops: without preventDefault a dropped file would replace the page.
  let depth = 0;
  document.addEventListener('dragenter', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    depth++;
    dropZone.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) dropZone.classList.remove('dragging');
  });
  document.addEventListener('dragover', (event) => event.preventDefault());
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    depth = 0;
    dropZone.classList.remove('dragging');
    const file = firstImage(event.dataTransfer);
    if (file) onFile(file);
  });
  document.addEventListener('paste', (event) => {
    // Pasting text into the URL field must not be taken for an image.
    const file = firstImage(event.clipboardData);
    if (file === undefined) return;
    event.preventDefault();
    onFile(file);
  });
}
