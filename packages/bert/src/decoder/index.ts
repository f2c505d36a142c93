export { BertLMHeadModel } from './bert_lm_head_model.js';
export type { DecoderSource, DecoderOptions, DecodeOptions } from './bert_lm_head_model.js';
