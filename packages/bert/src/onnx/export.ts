import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@contrastive/core';
import type { BertModel } from '../model.js';
import { buildBertGraph } from './bert_graph.js';
import { encodeModel } from './proto.js';

/**
 * Writes `<modelDir>/onnx/model.onnx` as sentence-transformers' ONNX backend (`backend="onnx"`) loads it: the
 * Transformer module only, with int64 inputs `input_ids`, `attention_mask`, `token_type_ids`
 * `[batch_size, sequence_length]` and output `last_hidden_state` `[batch_size, sequence_length, hidden]`, in
 * plain ONNX operators (opset 17) so that any runtime reads it. Pooling, Dense and Normalize stay in their
 * module folders (save the encoder to the same folder with `encoder.save(modelDir)`). Returns the file's path.
 */
export async function exportOnnx(encoder: { bert: BertModel }, modelDir: string): Promise<string> {
  const model = buildBertGraph({
    config: encoder.bert.config,
    weights: await encoder.bert.exportWeights(),
    ops: 'standard',
    output: 'last_hidden_state',
  });
  const dir = join(modelDir, 'onnx');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'model.onnx');
  writeFileAtomic(file, encodeModel(model));
  return file;
}
