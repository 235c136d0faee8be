/**
 * @file Whether a Vulkan driver is installed, read from the loader's driver
 * manifests (ICD JSON files) without loading anything. On Linux, Dawn reaches
 * the GPU only through Vulkan; asking it for an adapter where no driver is
 * installed prints native warnings on stderr ("vkCreateInstance: Found no
 * drivers!") that no JavaScript can silence, so the `webgpu` candidate looks
 * here first. The search follows the Vulkan loader's documented order
 * (LoaderDriverInterface.md): `VK_DRIVER_FILES` / `VK_ICD_FILENAMES` replace
 * the search, `VK_ADD_DRIVER_FILES` adds to it, else the XDG config and data
 * folders' `vulkan/icd.d`.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Where the loader found driver manifests, and where it looked. */
export interface VulkanDrivers {
  /** Manifest files (`*.json`) found. */
  readonly manifests: readonly string[];
  /** The folders and files searched, for the message when none is found. */
  readonly searched: readonly string[];
}

/** Chromium's SwiftShader (a software Vulkan driver) as Debian's `chromium` package installs it. */
export const CHROMIUM_SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

function manifestsIn(path: string): string[] {
  try {
    if (statSync(path).isFile()) return path.endsWith('.json') ? [path] : [];
    return readdirSync(path)
      .filter((name) => name.endsWith('.json'))
      .map((name) => join(path, name));
  } catch {
    return [];
  }
}

const list = (value: string | undefined): string[] => (value ?? '').split(':').filter((part) => part !== '');

/** The Vulkan driver manifests the loader would read with environment `env` (Linux and other Unix). */
export function findVulkanDrivers(env: Readonly<Record<string, string | undefined>>): VulkanDrivers {
  const replaced = list(env.VK_DRIVER_FILES).length > 0 ? list(env.VK_DRIVER_FILES) : list(env.VK_ICD_FILENAMES);
  let searched: string[];
  if (replaced.length > 0) {
    searched = replaced;
  } else {
    const home = env.HOME;
    const config = [...(env.XDG_CONFIG_HOME ? [env.XDG_CONFIG_HOME] : home ? [join(home, '.config')] : []), ...(list(env.XDG_CONFIG_DIRS).length > 0 ? list(env.XDG_CONFIG_DIRS) : ['/etc/xdg'])];
    const data = [...(env.XDG_DATA_HOME ? [env.XDG_DATA_HOME] : home ? [join(home, '.local/share')] : []), ...(list(env.XDG_DATA_DIRS).length > 0 ? list(env.XDG_DATA_DIRS) : ['/usr/local/share', '/usr/share'])];
    // /etc and NixOS's driver folder are searched by distribution builds of the loader.
    const folders = [...config, '/etc', ...data, '/run/opengl-driver/share'].map((base) => join(base, 'vulkan', 'icd.d'));
    searched = [...new Set(folders)];
  }
  searched = [...searched, ...list(env.VK_ADD_DRIVER_FILES)];
  return { manifests: searched.flatMap(manifestsIn), searched };
}
