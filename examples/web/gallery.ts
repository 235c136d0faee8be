/**
 * @file The style gallery: reads models/index.json (written by build.mjs from
 * the registry, same shape) and shows one card per style model, the selected
 * one pressed. A card's thumbnail is that style's last result on the current
 * image (there are no style images to show), over a colour swatch until then.
 */

/** A model of the page's models/index.json, with its URL. */
export interface PageModel {
  readonly name: string;
  readonly task: 'style' | 'sr';
  readonly description: string;
  /** Absolute URL of the .safetensors file. */
  readonly url: string;
}

/** What the page offers: style models in registry order, the default style and the default SR model. */
export interface ModelIndex {
  readonly styles: readonly PageModel[];
  readonly defaultStyle: PageModel | undefined;
  readonly sr: PageModel | undefined;
}

/**
 * Fetches and reads the page's model index.
 * @throws Error naming the URL and what to do when it is missing or malformed
 */
export async function fetchModelIndex(url: URL): Promise<ModelIndex> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url.pathname} answered HTTP ${response.status}: build the page with node examples/web/build.mjs (it copies the bundled models), or load your own model below`);
  const index = (await response.json()) as { defaults?: { style?: string; sr?: string }; models?: Array<{ name: string; task: string; file: string; description?: string }> };
  if (!Array.isArray(index.models)) throw new Error(`${url.pathname} has no "models" list: rebuild the page with node examples/web/build.mjs`);
  const models: PageModel[] = index.models
    .filter((m) => m.task === 'style' || m.task === 'sr')
    .map((m) => ({ name: m.name, task: m.task as 'style' | 'sr', description: m.description ?? '', url: new URL(m.file, url).href }));
  const styles = models.filter((m) => m.task === 'style');
  return {
    styles,
    defaultStyle: styles.find((m) => m.name === index.defaults?.style) ?? styles[0],
    sr: models.find((m) => m.task === 'sr' && m.name === index.defaults?.sr),
  };
}

/** The cards on the page. */
export interface GalleryView {
  /** Presses the card of `name` (a gallery style), or the "your model" card with `custom` as its label; null: none. */
  select(choice: { name: string } | { custom: string } | null): void;
  /** Shows `image` as the thumbnail of the style `name` (the custom card when `name` is null). */
  setThumbnail(name: string | null, image: CanvasImageSource): void;
  /** Back to the swatches (a new input image). */
  clearThumbnails(): void;
}

/** A hue from the name, so each style's swatch differs and stays the same across visits. */
function hue(name: string): number {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return h;
}

function card(name: string, label: string, description: string): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'card';
  button.dataset.model = name;
  button.setAttribute('aria-pressed', 'false');
  button.title = description;
  button.style.setProperty('--hue', String(hue(name)));
  const thumb = document.createElement('canvas');
  thumb.className = 'thumb';
  thumb.width = 96;
  thumb.height = 72;
  const title = document.createElement('span');
  title.className = 'name';
  title.textContent = label;
  const text = document.createElement('span');
  text.className = 'desc';
  // The registry's descriptions end in a pointer to the model card; the tooltip keeps it.
  text.textContent = description.replace(/\s*\([^()]*\.md\)\s*$/, '');
  button.append(thumb, title, text);
  return button;
}

/**
 * Fills `container` with a card per style and a hidden "your model" card.
 * @param onSelect called with the style clicked, or null for the "your model" card
 */
export function renderGallery(container: HTMLElement, styles: readonly PageModel[], onSelect: (model: PageModel | null) => void): GalleryView {
  container.replaceChildren();
  const cards = new Map<string | null, HTMLButtonElement>();
  for (const model of styles) {
    const button = card(model.name, model.name, model.description);
    button.addEventListener('click', () => onSelect(model));
    cards.set(model.name, button);
    container.append(button);
  }
  const custom = card('', 'Your model', 'A model you uploaded or loaded from a URL');
  custom.classList.add('custom');
  custom.hidden = true;
  custom.addEventListener('click', () => onSelect(null));
  cards.set(null, custom);
  container.append(custom);

  const thumbOf = (button: HTMLButtonElement): HTMLCanvasElement => button.querySelector('canvas')!;
  return {
    select(choice) {
      const key = choice === null ? undefined : 'name' in choice ? choice.name : null;
      for (const [name, button] of cards) button.setAttribute('aria-pressed', String(name === key));
      if (choice !== null && 'custom' in choice) {
        custom.hidden = false;
        custom.querySelector('.desc')!.textContent = choice.custom;
        custom.title = choice.custom;
        const thumb = thumbOf(custom);
        thumb.getContext('2d')!.clearRect(0, 0, thumb.width, thumb.height);
      }
    },
    setThumbnail(name, image) {
      const button = cards.get(name);
      if (button === undefined) return;
      const thumb = thumbOf(button);
      const context = thumb.getContext('2d')!;
      const { width, height } = image as { width: number; height: number };
      // Cover the card's 4:3 box, centred, as CSS object-fit: cover would.
      const scale = Math.max(thumb.width / width, thumb.height / height);
      context.clearRect(0, 0, thumb.width, thumb.height);
      context.drawImage(image, (thumb.width - width * scale) / 2, (thumb.height - height * scale) / 2, width * scale, height * scale);
      button.classList.add('has-thumb');
    },
    clearThumbnails() {
      for (const button of cards.values()) {
        const thumb = thumbOf(button);
        thumb.getContext('2d')!.clearRect(0, 0, thumb.width, thumb.height);
        button.classList.remove('has-thumb');
      }
    },
  };
}
