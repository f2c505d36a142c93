import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@contrastive/core';
import type { BertModel } from '../model.js';
import type { HeadModule, OnnxModuleWriter } from '../modules/module.js';
import { buildBertGraph } from './bert_graph.js';
import { encodeModel } from './proto.js';
import { quantizeDynamicInt8 } from './quantize.js';

export interface ExportOnnxOptions {
  /**
   * Also output `sentence_embedding [batch_size, dimension]`: the head modules (Pooling, Dense, Normalize, …)
   * generated from their own ONNX forms, so the whole encoder runs in one graph. Needs `modules`, each with an
   * ONNX form. Pooling then covers every real token (a prompt excluded from pooling is not: see the README).
   */
  sentenceEmbedding?: boolean;
  /**
   * `int8`: also write `onnx/model_int8.onnx`, dynamic int8 quantization of every linear layer (transformers.js
   * loads it with `dtype: 'int8'`, sentence-transformers with `model_kwargs={"file_name": "onnx/model_int8.onnx"}`).
   */
  quantize?: 'int8';
  /** Per-channel weight scales for `quantize` (default true). */
  perChannel?: boolean;
}

/** What `exportOnnx` wrote. */
export interface ExportedOnnx {
  /** `<dir>/onnx/model.onnx`. */
  model: string;
  /** `<dir>/onnx/model_int8.onnx` with `quantize: 'int8'`. */
  quantized?: string;
  outputs: string[];
}

/**
 * Writes `<modelDir>/onnx/model.onnx` as sentence-transformers' ONNX backend (`backend="onnx"`) and
 * transformers.js load it: the Transformer module, with int64 inputs `input_ids`, `attention_mask`,
 * `token_type_ids` `[batch_size, sequence_length]` and output `last_hidden_state`
 * `[batch_size, sequence_length, hidden]` (and `sentence_embedding` with `sentenceEmbedding`), in plain ONNX
 * operators (IR 8, opset 17: onnx 1.12's checker accepts it) so that any runtime reads it. The other files of
 * the folder come from `encoder.save(modelDir)`.
 */
export async function exportOnnx(
  encoder: { bert: BertModel; modules?: readonly HeadModule[] },
  modelDir: string,
  options: ExportOnnxOptions = {},
): Promise<ExportedOnnx> {
  let head: OnnxModuleWriter[] | undefined;
  if (options.sentenceEmbedding) {
    const modules = encoder.modules ?? [];
    head = modules.map((m) => {
      const write = m.onnx?.();
      if (!write)
        throw new Error(
          `ONNX export: module ${m.describe()} (${m.type}) has no ONNX form, so there can be no sentence_embedding output; export without it`,
        );
      return write;
    });
    if (head.length === 0)
      throw new Error('ONNX export: the model has no head modules for sentence_embedding');
  }
  const model = buildBertGraph({
    config: encoder.bert.config,
    weights: await encoder.bert.exportWeights(),
    ops: 'standard',
    output: 'last_hidden_state',
    head,
  });
  const dir = join(modelDir, 'onnx');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'model.onnx');
  writeFileAtomic(file, encodeModel(model));
  const outputs = model.graph.output.map((o) => o.name);
  if (options.quantize === 'int8') {
    const quantized = join(dir, 'model_int8.onnx');
    writeFileAtomic(quantized, encodeModel(quantizeDynamicInt8(model, { perChannel: options.perChannel })));
    return { model: file, quantized, outputs };
  }
  return { model: file, outputs };
}
