/** Names that mean something to the Keras config analysis (keras.ts): modules, gadgets and built-in layers. */

/**
 * Modules Keras 3 serialises its own objects under. `deserialize_keras_object` resolves these inside Keras;
 * `tf_keras` and `tensorflow.keras` are the Keras 2 packages whose configs Keras 3 still meets. Anything else
 * is imported with `importlib.import_module` (the root of the CVE-2025-1550 safe_mode bypass) or looked up as
 * a registered custom object.
 */
export const KERAS_MODULE_ROOTS = ['keras', 'tf_keras', 'tensorflow.keras'];

/** `builtins` appears in Keras configs only for plain Python types; any other builtin is code. */
export const PLAIN_BUILTINS = new Set([
  'int',
  'float',
  'str',
  'bool',
  'bytes',
  'complex',
  'list',
  'tuple',
  'dict',
  'set',
  'frozenset',
  'NoneType',
]);

/**
 * Module roots whose import or call runs commands, evaluates code, loads native code, or touches the network
 * or file system. A reference to any of these is MODEL-KERAS-002; other non-Keras modules are custom objects.
 */
export const CODE_RUNNING_MODULES = new Set([
  'os',
  'posix',
  'nt',
  'subprocess',
  'sys',
  'builtins',
  '__builtin__',
  'importlib',
  'runpy',
  'code',
  'codeop',
  'pty',
  'shutil',
  'socket',
  'ctypes',
  'pickle',
  '_pickle',
  'marshal',
  'types',
  'multiprocessing',
  'webbrowser',
  'urllib',
  'http',
  'requests',
  'pydoc',
  'timeit',
  'platform',
  'commands',
  'dill',
  'cloudpickle',
  'joblib',
  'numpy.f2py',
  'torch.hub',
]);

/**
 * Keras functions that are gadgets even though they live inside Keras: `get_file` downloads to and writes
 * arbitrary paths (CVE-2025-8747); `enable_unsafe_deserialization` switches safe_mode off for the rest of the
 * load (CVE-2025-9906).
 */
export const KERAS_GADGETS = new Set(['get_file', 'enable_unsafe_deserialization']);

/**
 * Class names of the layers and models Keras 2 (`tf.keras`, `tf_keras`) and Keras 3 ship (checked against what
 * `keras.layers` and `keras.models` export in Keras 3.15), as they appear in the `class_name` of a saved config
 * (aliases included). A layer of any other class is a custom object: Keras resolves it from the caller's
 * `custom_objects` or from a registered package, code the file does not hold. Left out on purpose, so they stay
 * custom objects: the Keras 3 layers that bring in code or files from outside the config (TorchModuleWrapper
 * unpickles a torch module, TFSMLayer loads a SavedModel, JaxLayer and FlaxLayer call foreign functions).
 */
const BUILTIN_LAYER_CLASSES = new Set([
  // Models and inputs.
  'Sequential',
  'Functional',
  'Model',
  'InputLayer',
  // Core.
  'Dense',
  'EinsumDense',
  'Activation',
  'Embedding',
  'ReversibleEmbedding',
  'Masking',
  'Lambda',
  'Identity',
  'TFOpLambda',
  'SlicingOpLambda',
  'DenseFeatures',
  // Convolution.
  'Conv1D',
  'Conv2D',
  'Conv3D',
  'Convolution1D',
  'Convolution2D',
  'Convolution3D',
  'Conv1DTranspose',
  'Conv2DTranspose',
  'Conv3DTranspose',
  'Convolution1DTranspose',
  'Convolution2DTranspose',
  'Convolution3DTranspose',
  'SeparableConv1D',
  'SeparableConv2D',
  'SeparableConvolution1D',
  'SeparableConvolution2D',
  'DepthwiseConv1D',
  'DepthwiseConv2D',
  'LocallyConnected1D',
  'LocallyConnected2D',
  // Pooling.
  'MaxPooling1D',
  'MaxPooling2D',
  'MaxPooling3D',
  'MaxPool1D',
  'MaxPool2D',
  'MaxPool3D',
  'AveragePooling1D',
  'AveragePooling2D',
  'AveragePooling3D',
  'AvgPool1D',
  'AvgPool2D',
  'AvgPool3D',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling2D',
  'GlobalMaxPooling3D',
  'GlobalMaxPool1D',
  'GlobalMaxPool2D',
  'GlobalMaxPool3D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'GlobalAveragePooling3D',
  'GlobalAvgPool1D',
  'GlobalAvgPool2D',
  'GlobalAvgPool3D',
  'AdaptiveAveragePooling1D',
  'AdaptiveAveragePooling2D',
  'AdaptiveAveragePooling3D',
  'AdaptiveMaxPooling1D',
  'AdaptiveMaxPooling2D',
  'AdaptiveMaxPooling3D',
  // Recurrent and wrappers.
  'RNN',
  'SimpleRNN',
  'SimpleRNNCell',
  'GRU',
  'GRUCell',
  'LSTM',
  'LSTMCell',
  'StackedRNNCells',
  'CuDNNGRU',
  'CuDNNLSTM',
  'ConvLSTM1D',
  'ConvLSTM2D',
  'ConvLSTM3D',
  'Bidirectional',
  'TimeDistributed',
  // Normalization and regularization.
  'BatchNormalization',
  'LayerNormalization',
  'UnitNormalization',
  'GroupNormalization',
  'RMSNormalization',
  'SpectralNormalization',
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'SpatialDropout3D',
  'GaussianDropout',
  'GaussianNoise',
  'AlphaDropout',
  'ActivityRegularization',
  // Attention.
  'Attention',
  'AdditiveAttention',
  'MultiHeadAttention',
  'GroupQueryAttention',
  'GroupedQueryAttention',
  // Reshaping.
  'Reshape',
  'Flatten',
  'RepeatVector',
  'Permute',
  'Cropping1D',
  'Cropping2D',
  'Cropping3D',
  'UpSampling1D',
  'UpSampling2D',
  'UpSampling3D',
  'ZeroPadding1D',
  'ZeroPadding2D',
  'ZeroPadding3D',
  // Merging.
  'Concatenate',
  'Average',
  'Maximum',
  'Minimum',
  'Add',
  'Subtract',
  'Multiply',
  'Dot',
  // Activation layers.
  'ReLU',
  'Softmax',
  'LeakyReLU',
  'PReLU',
  'ELU',
  'ThresholdedReLU',
  // Preprocessing.
  'TextVectorization',
  'Normalization',
  'Discretization',
  'CategoryEncoding',
  'Hashing',
  'HashedCrossing',
  'StringLookup',
  'IntegerLookup',
  'Resizing',
  'Rescaling',
  'CenterCrop',
  'RandomCrop',
  'RandomFlip',
  'RandomTranslation',
  'RandomRotation',
  'RandomZoom',
  'RandomHeight',
  'RandomWidth',
  'RandomContrast',
  'RandomBrightness',
  'RandomColorDegeneration',
  'RandomColorJitter',
  'RandomElasticTransform',
  'RandomErasing',
  'RandomGaussianBlur',
  'RandomGrayscale',
  'RandomHue',
  'RandomInvert',
  'RandomPerspective',
  'RandomPosterization',
  'RandomSaturation',
  'RandomSharpness',
  'RandomShear',
  'AugMix',
  'AutoContrast',
  'CutMix',
  'Equalization',
  'ContrastLimitedAdaptiveHistogramEqualization',
  'MixUp',
  'RandAugment',
  'Solarization',
  'MaxNumBoundingBoxes',
  'MelSpectrogram',
  'STFTSpectrogram',
  'Pipeline',
  // Base classes, which carry no code of their own.
  'Layer',
  'Wrapper',
]);

export function isBuiltinLayerClass(className: string): boolean {
  return BUILTIN_LAYER_CLASSES.has(className);
}
