import { LimitError, ParseError } from '../../core/errors.js';
import { section, type ModelItem } from '../../core/model-part.js';
import { BUNDLE_REFERENCE_OUTSIDE, HF_REMOTE_CODE } from './bundle-rules.js';
import { FILE_SITE, memberOf, outsideModelFolder, type NamedSite } from './named-site.js';
import type { Scope } from './scope.js';

/** Largest `config.json` or weights index read; real ones are KiB (an index of 10,000 tensors is ~1 MiB). */
export const MAX_HF_JSON_BYTES = 32 * 1024 * 1024;

export type HfFileKind = 'hf-config' | 'hf-index';

/**
 * Keys that make a `config.json` a Hugging Face model config. `save_pretrained` writes the keys sorted, so
 * `architectures` and `auto_map` come first and are within the probe; a Keras 3 `config.json` (`class_name`,
 * `config`, `module`) has none of them, and usually lives inside a `.keras` zip rather than on disk anyway.
 */
const HF_CONFIG_KEYS = ['"architectures"', '"model_type"', '"auto_map"'];

/**
 * The index of sharded weights (`model.safetensors.index.json`, `pytorch_model.bin.index.json`,
 * `tf_model.h5.index.json`, `diffusion_pytorch_model.safetensors.index.json`, …) by name, and a `config.json`
 * whose first bytes hold a Hugging Face config key. Other `config.json` files (editor and tool settings) are
 * left alone.
 */
export function hfFileKind(name: string, head: Uint8Array): HfFileKind | undefined {
  if (/\.(?:safetensors|bin|h5|msgpack)\.index\.json$/i.test(name)) return 'hf-index';
  if (name !== 'config.json') return undefined;
  const text = new TextDecoder('utf-8').decode(head);
  return HF_CONFIG_KEYS.some((key) => text.includes(key)) ? 'hf-config' : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  if (bytes.length > MAX_HF_JSON_BYTES) {
    throw new LimitError('MEMORY', `${what} has ${bytes.length} bytes, more than ${MAX_HF_JSON_BYTES}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new ParseError('BAD_STRUCTURE', `${what} is not valid UTF-8 JSON`);
  }
  if (!isRecord(value)) throw new ParseError('BAD_STRUCTURE', `${what} is not a JSON object`);
  return value;
}

/**
 * A sharded-weights index: `weight_map` maps each tensor name to the shard file `from_pretrained` opens,
 * joined to the model folder. A shard that is absolute or climbs out with `..` is read from outside the folder
 * (MODEL-BUNDLE-002). An index without a `weight_map` object is one no loader reads, so it fails closed.
 */
function scanIndex(scope: Scope, site: NamedSite, bytes: Uint8Array): void {
  const index = parseJson(bytes, 'weights index');
  const weightMap = index.weight_map;
  if (!isRecord(weightMap)) throw new ParseError('BAD_STRUCTURE', 'weights index has no weight_map object');
  const shards = new Map<string, number>();
  for (const [tensor, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string') {
      throw new ParseError('BAD_STRUCTURE', `weight_map entry '${tensor}' is not a file name`);
    }
    shards.set(shard, (shards.get(shard) ?? 0) + 1);
  }
  const items: ModelItem[] = [];
  for (const [shard, tensors] of shards) {
    const outside = outsideModelFolder(shard, site);
    if (outside !== undefined) {
      scope.context.report({
        ruleId: BUNDLE_REFERENCE_OUTSIDE.id,
        message: `weight_map loads ${tensors} tensors from ${outside}: '${shard}'`,
        evidence: shard,
        ...memberOf(site),
      });
    }
    items.push({
      text: `${shard}: ${tensors} tensors`,
      ...(outside !== undefined && { risk: 'high' as const }),
    });
  }
  const metadata = index.metadata;
  const totalSize = isRecord(metadata) ? metadata.total_size : undefined;
  scope.describe({
    ...memberOf(site),
    format: 'hf-index',
    properties: {
      shards: String(shards.size),
      tensors: String(Object.keys(weightMap).length),
      ...(typeof totalSize === 'number' && { total_size: String(totalSize) }),
    },
    ...(scope.detail && { sections: [section('Shards', items)] }),
  });
}

/**
 * The Python modules an `auto_map` value makes `trust_remote_code` import: `"modeling_x.XModel"`, a
 * `[slow, fast]` pair of tokenizer classes (either may be null), or `"owner/repo--modeling_x.XModel"`, code from
 * another repository.
 */
function autoMapModules(value: unknown): string[] {
  const references = Array.isArray(value) ? value : [value];
  return references.flatMap((reference) => {
    if (typeof reference !== 'string') return [];
    const dot = reference.lastIndexOf('.');
    return dot > 0 ? [`${reference.slice(0, dot)}.py`] : [reference];
  });
}

/** A model `config.json`: its `auto_map` (MODEL-HF-001) and what it says about the architecture. */
function scanConfig(scope: Scope, site: NamedSite, bytes: Uint8Array): void {
  const config = parseJson(bytes, 'config.json');
  const autoMap = config.auto_map;
  const items: ModelItem[] = [];
  if (isRecord(autoMap)) {
    const modules = new Set<string>();
    for (const [autoClass, value] of Object.entries(autoMap)) {
      const named = autoMapModules(value);
      named.forEach((module) => modules.add(module));
      items.push({ text: `${autoClass}: ${named.join(', ')}`, risk: 'medium' });
    }
    if (modules.size > 0) {
      const list = [...modules].sort().join(', ');
      scope.context.report({
        ruleId: HF_REMOTE_CODE.id,
        message: `auto_map makes from_pretrained(trust_remote_code=True) import custom code: ${list}`,
        evidence: `auto_map: ${list}`,
        ...memberOf(site),
      });
    }
  }
  const architectures = Array.isArray(config.architectures)
    ? config.architectures.filter((name): name is string => typeof name === 'string')
    : [];
  const text = (key: string): Record<string, string> =>
    typeof config[key] === 'string' ? { [key]: config[key] } : {};
  scope.describe({
    ...memberOf(site),
    format: 'hf-config',
    framework: 'transformers',
    properties: {
      ...text('model_type'),
      ...(architectures.length > 0 && { architectures: architectures.join(', ') }),
      ...text('transformers_version'),
      ...(isRecord(autoMap) && { auto_map: Object.keys(autoMap).join(', ') }),
    },
    ...(scope.detail && { sections: [section('auto_map', items)] }),
  });
}

/** Scans a Hugging Face file read into memory; `site` is the file on disk or the archive member it was read from. */
export function scanHfFile(
  scope: Scope,
  kind: HfFileKind,
  bytes: Uint8Array,
  site: NamedSite = FILE_SITE,
): void {
  if (kind === 'hf-index') scanIndex(scope, site, bytes);
  else scanConfig(scope, site, bytes);
}
