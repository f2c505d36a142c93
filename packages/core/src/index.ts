// @contrastive/core: the zero-dependency pieces that the data side (data-nli, negatives, augment, eval-mteb)
// and the model side (tensor-gpu and up) share, so each exists once.
export { mulberry32, mixSeed, permutation, shuffleWith, normalSamples } from './random.js';
export { LABEL_COLUMNS, type LabelKind, findLabelColumn, labelKind } from './label_columns.js';
export {
  type ColumnPrompts,
  type ModelPrompts,
  type PromptChoice,
  type TrainingPrompts,
  columnPrompts,
  datasetPrompts,
  promptByName,
  resolveColumnPrompt,
  resolvePrompt,
} from './prompts.js';
export { writeFileAtomic } from './atomic_file.js';
export {
  type AtomicOutput,
  OutputWriteError,
  openAtomicOutput,
  withAtomicOutput,
  writeJsonLinesAtomic,
  writeOutputFile,
  writeOutputFileSync,
} from './atomic_output.js';
export { InvalidUtf8Error, decodeUtf8, invalidUtf8Offset } from './utf8.js';
export { exitOnFatalErrors, fatalErrorText, isVerbose, resolveUserPath } from './fatal.js';
export { deleteWords, joinTokens, wordTokens } from './words.js';
