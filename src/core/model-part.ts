/**
 * What a format handler learnt about one model it read, for the ML-BOM (`--format cyclonedx`) and for
 * `mlsec inspect`. Plain data: it crosses the worker-thread boundary. A file yields one part per model-bearing
 * layer it contains (a `.keras` zip yields the Keras config and its `.h5` weights, a bundle one per member).
 */
export interface ModelPart {
  /** Location inside the file, members joined with `!` as in findings; undefined for the file itself. */
  readonly member?: string;
  /** Layer name as in format names: `safetensors`, `gguf`, `onnx`, `keras`, `pickle`, `pytorch-zip`, … */
  readonly format: string;
  /** Framework the artifact is meant for, when the format tells: `pytorch`, `keras`, `tensorflow`, `onnx`, … */
  readonly framework?: string;
  /** Number of tensors (weights, initializers, arrays) declared. */
  readonly tensors?: number;
  /** Total number of scalar parameters over those tensors. */
  readonly parameters?: number;
  /** Short facts worth showing: producer, opset, architecture, model name, … Values are attacker text. */
  readonly properties?: Readonly<Record<string, string>>;
  /** Detailed structure for `mlsec inspect`; filled only when {@link ScanSettings.detail} is on. */
  readonly sections?: readonly ModelSection[];
}

/** One titled list in the `inspect` view: layers, ops, tensors, metadata, templates, the pickle program, … */
export interface ModelSection {
  readonly title: string;
  readonly items: readonly ModelItem[];
  /** Items left out because the list was longer than {@link MAX_SECTION_ITEMS}. */
  readonly omitted?: number;
}

export interface ModelItem {
  /** One line of text (attacker-controlled parts included verbatim; reporters escape them). */
  readonly text: string;
  /** Set on the parts a human should look at first: the same severity as the finding they relate to. */
  readonly risk?: 'critical' | 'high' | 'medium' | 'low';
}

/** Longest list kept in a section, so a hostile header with a million keys cannot blow up the report. */
export const MAX_SECTION_ITEMS = 2000;

/** Builds a section from items, keeping the first {@link MAX_SECTION_ITEMS} and counting the rest. */
export function section(title: string, items: readonly ModelItem[]): ModelSection {
  if (items.length <= MAX_SECTION_ITEMS) return { title, items };
  return { title, items: items.slice(0, MAX_SECTION_ITEMS), omitted: items.length - MAX_SECTION_ITEMS };
}
