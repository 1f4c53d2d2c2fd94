import { statSync } from 'node:fs';
import { join } from 'node:path';
import { LimitError, MlsecError } from '../../core/errors.js';
import { section, type ModelItem, type ModelSection } from '../../core/model-part.js';
import type { Content } from './content.js';
import {
  KERAS_CONFIG_MAX_BYTES,
  analyseKerasConfig,
  kerasLayerItems,
  type KerasConfigSummary,
} from './keras.js';
import {
  HDF5_MAX_MEMORY_BYTES,
  readHdf5,
  type Hdf5Dataset,
  type Hdf5Input,
  type Hdf5View,
} from './keras-h5-file.js';
import type { Scope } from './scope.js';

/**
 * Keras HDF5 files: `model.save("m.h5")` (Keras 2, and Keras 3's legacy format) writes the architecture as JSON
 * in the root attribute `model_config` (`{"class_name": "Sequential", "config": {"layers": […]}}`), the compile
 * settings in `training_config`, and the weights as datasets under `model_weights`. `save_weights` and the
 * `model.weights.h5` member of a `.keras` archive hold weights only. The JSON is analysed like a `.keras`
 * `config.json`; datasets are only counted from their headers, never read.
 */

/** Short facts such as `keras_version` are cut off here; they are for display only. */
const FACT_MAX_BYTES = 256;
/** Beyond this many HDF5 objects the weights are not listed or counted (the facts are cheap extras). */
const MAX_LISTED_OBJECTS = 100_000;
/** Optimizer state (`optimizer_weights` in Keras 2, `optimizer` in Keras 3 weights files) is not the model. */
const OPTIMIZER_GROUP = /^optimizer(?:_weights)?\//;
/** A Keras 3 weights file stores each layer's variables as `<path>/vars/<index>`. */
const KERAS3_VARIABLE = /(?:^|\/)vars\/\d+$/;

interface KerasH5Facts {
  readonly modelConfig: string | undefined;
  readonly trainingConfig: string | undefined;
  readonly kerasVersion: string | undefined;
  readonly backend: string | undefined;
  /**
   * Whether the file is laid out as Keras writes weights: Keras 2 root attributes (`layer_names`,
   * `keras_version`) or Keras 3 variables (`layers/<name>/vars/0`); this tells Keras files from other HDF5.
   */
  readonly kerasLayout: boolean;
  readonly datasets: Hdf5Dataset[] | undefined;
}

/** A display-only fact: absent, or not short text, is simply not shown. */
function optionalFact(view: Hdf5View, name: string): string | undefined {
  try {
    return view.textAttribute(name, FACT_MAX_BYTES);
  } catch (error) {
    if (error instanceof MlsecError) return undefined;
    throw error;
  }
}

function readFacts(view: Hdf5View): KerasH5Facts {
  const names = view.rootAttributeNames();
  // The configs decide the verdict: any problem reading them fails closed.
  const modelConfig = view.textAttribute('model_config', KERAS_CONFIG_MAX_BYTES);
  const trainingConfig = view.textAttribute('training_config', KERAS_CONFIG_MAX_BYTES);
  let datasets: Hdf5Dataset[] | undefined;
  try {
    datasets = view.datasets(MAX_LISTED_OBJECTS);
  } catch {
    // Counting weights is a description, not a check: an unreadable object header leaves the counts out.
    datasets = undefined;
  }
  return {
    modelConfig,
    trainingConfig,
    kerasVersion: optionalFact(view, 'keras_version'),
    backend: optionalFact(view, 'backend'),
    kerasLayout:
      names.includes('layer_names') ||
      names.includes('keras_version') ||
      (datasets?.some((dataset) => KERAS3_VARIABLE.test(dataset.path)) ?? false),
    datasets,
  };
}

/**
 * The file itself is read on demand from disk; anything else (an archive member, decompressed data) is read
 * into memory within {@link HDF5_MAX_MEMORY_BYTES}.
 */
async function inputOf(scope: Scope, content: Content): Promise<Hdf5Input> {
  if (content.member === undefined && content.depth === 0 && scope.folder !== undefined) {
    const path = join(scope.folder, content.name);
    // The scanned file itself, unless the scope's folder is not where the content came from.
    if (content.size !== undefined && statSync(path, { throwIfNoEntry: false })?.size === content.size) {
      return { path };
    }
  }
  const tooLarge = new LimitError(
    'MEMORY',
    `HDF5 content is larger than the ${HDF5_MAX_MEMORY_BYTES} bytes read from inside a container`,
  );
  if (content.size !== undefined && content.size > HDF5_MAX_MEMORY_BYTES) throw tooLarge;
  const bytes = await content.reader.take(HDF5_MAX_MEMORY_BYTES + 1);
  if (bytes.length > HDF5_MAX_MEMORY_BYTES) throw tooLarge;
  return { bytes };
}

function weightItems(datasets: readonly Hdf5Dataset[]): ModelItem[] {
  return datasets.map((dataset) => ({ text: `${dataset.path} [${dataset.shape.join(', ')}]` }));
}

function describe(
  scope: Scope,
  content: Content,
  format: string,
  facts: KerasH5Facts,
  summary: KerasConfigSummary | undefined,
): void {
  const weights = facts.datasets?.filter((dataset) => !OPTIMIZER_GROUP.test(dataset.path));
  const properties: Record<string, string> = {
    contents: summary === undefined ? 'weights only' : 'architecture and weights',
    ...(facts.kerasVersion !== undefined && { keras_version: facts.kerasVersion }),
    ...(facts.backend !== undefined && { backend: facts.backend }),
    ...(summary?.modelClass !== undefined && { model_class: summary.modelClass }),
    ...(summary !== undefined && { layers: String(summary.layers.length) }),
  };
  const sections: ModelSection[] = [];
  if (scope.detail && summary !== undefined) sections.push(section('layers', kerasLayerItems(summary)));
  if (scope.detail && weights !== undefined) sections.push(section('weights', weightItems(weights)));
  scope.describe({
    ...(content.member !== undefined && { member: content.member }),
    format,
    ...(format === 'keras-h5' && { framework: 'keras' }),
    ...(weights !== undefined && {
      tensors: weights.length,
      parameters: weights.reduce((total, dataset) => total + dataset.shape.reduce((a, b) => a * b, 1), 0),
    }),
    properties,
    ...(sections.length > 0 && { sections }),
  });
}

/** Scans HDF5 content; returns `keras-h5` for a Keras file, `hdf5` for any other. */
export async function scanHdf5(scope: Scope, content: Content): Promise<string> {
  const facts = await readHdf5(await inputOf(scope, content), readFacts);
  scope.context.checkDeadline();
  const summary =
    facts.modelConfig === undefined
      ? undefined
      : analyseKerasConfig(scope, content.member, facts.modelConfig, 'keras-h5');
  if (facts.trainingConfig !== undefined) {
    analyseKerasConfig(scope, content.member, facts.trainingConfig, 'keras-h5');
  }
  const keras = summary !== undefined || facts.trainingConfig !== undefined || facts.kerasLayout;
  const format = keras ? 'keras-h5' : 'hdf5';
  describe(scope, content, format, facts, summary);
  return format;
}
