export { BertForMaskedLM, MaskedLanguageModelingLoss, MLM_HEAD_NAMES } from './bert_for_masked_lm.js';
export type { MlmEmbedOptions } from './bert_for_masked_lm.js';
export { maskTokens, IGNORE_LABEL } from './masking.js';
export type { MaskingOptions, MaskingVocabulary, MaskedBatch } from './masking.js';
export { MlmOnnxEngine, MlmTrainingStep } from './onnx_step.js';
