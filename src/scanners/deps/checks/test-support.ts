import { resolve } from 'node:path';
import type { Component } from '../model.js';
import { normalizeName } from '../pep508/parse.js';

const REPO = resolve(import.meta.dirname, '../../../..');
/** Shared data beside the repository, never copied into it. */
export const POPULAR = resolve(REPO, '../shared/data/top-pypi-packages/top-pypi-packages.min.json');
export const REAL_MANIFESTS = resolve(REPO, '../shared/corpora/real-manifests');

/** An unpinned, direct, main-scope PyPI requirement declared in `requirements.txt` at `line`, with overrides. */
export function component(name: string, extra: Partial<Component> = {}, line = 1): Component {
  return {
    name,
    normalizedName: normalizeName(name),
    ecosystem: 'PyPI',
    specifiers: [],
    pin: 'unpinned',
    direct: true,
    scope: 'main',
    hashes: [],
    extras: [],
    origin: { path: 'requirements.txt', line },
    ...extra,
  };
}
