import type { SafetensorsTensor } from '@contrastive/tensor-gpu';
import { type BertConfig, hasCrossAttention } from './config.js';

export interface ParamSpec {
  /** Hugging Face `BertModel` name without prefix. */
  name: string;
  /** Shape as stored by PyTorch (Linear weights are [out, in]). */
  shape: number[];
  /** Linear weights: kept transposed ([in, out]) in memory so the forward pass needs no transposed matmul. */
  linear: boolean;
  /** Parameters a checkpoint may omit (the pooler, which sentence embeddings never use). */
  optional?: boolean;
}

/**
 * Every parameter of a BertModel, in Hugging Face's order; a decoder config with `add_cross_attention` adds each
 * layer's `crossattention.*` (same shapes as `attention.*`: BERT's keys and values read hidden-size states).
 */
export function bertParamSpecs(c: BertConfig): ParamSpec[] {
  const h = c.hidden_size;
  const cross = hasCrossAttention(c);
  const specs: ParamSpec[] = [
    { name: 'embeddings.word_embeddings.weight', shape: [c.vocab_size, h], linear: false },
    { name: 'embeddings.position_embeddings.weight', shape: [c.max_position_embeddings, h], linear: false },
    { name: 'embeddings.token_type_embeddings.weight', shape: [c.type_vocab_size, h], linear: false },
    { name: 'embeddings.LayerNorm.weight', shape: [h], linear: false },
    { name: 'embeddings.LayerNorm.bias', shape: [h], linear: false },
  ];
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `encoder.layer.${i}`;
    for (const block of cross ? ['attention', 'crossattention'] : ['attention']) {
      for (const n of ['query', 'key', 'value']) {
        specs.push({ name: `${p}.${block}.self.${n}.weight`, shape: [h, h], linear: true });
        specs.push({ name: `${p}.${block}.self.${n}.bias`, shape: [h], linear: false });
      }
      specs.push(
        { name: `${p}.${block}.output.dense.weight`, shape: [h, h], linear: true },
        { name: `${p}.${block}.output.dense.bias`, shape: [h], linear: false },
        { name: `${p}.${block}.output.LayerNorm.weight`, shape: [h], linear: false },
        { name: `${p}.${block}.output.LayerNorm.bias`, shape: [h], linear: false },
      );
    }
    specs.push(
      { name: `${p}.intermediate.dense.weight`, shape: [c.intermediate_size, h], linear: true },
      { name: `${p}.intermediate.dense.bias`, shape: [c.intermediate_size], linear: false },
      { name: `${p}.output.dense.weight`, shape: [h, c.intermediate_size], linear: true },
      { name: `${p}.output.dense.bias`, shape: [h], linear: false },
      { name: `${p}.output.LayerNorm.weight`, shape: [h], linear: false },
      { name: `${p}.output.LayerNorm.bias`, shape: [h], linear: false },
    );
  }
  specs.push(
    { name: 'pooler.dense.weight', shape: [h, h], linear: true, optional: true },
    { name: 'pooler.dense.bias', shape: [h], linear: false, optional: true },
  );
  return specs;
}

/**
 * Maps a checkpoint's tensor name to BertModel's: accepts no prefix, `bert.` (BertForMaskedLM and friends)
 * and legacy LayerNorm `gamma`/`beta`. Returns undefined for tensors that are not the encoder's (heads).
 */
export function canonicalBertName(name: string): string | undefined {
  let n = name;
  if (n.startsWith('bert.')) n = n.slice(5);
  else if (n.startsWith('model.')) n = n.slice(6);
  if (!n.startsWith('embeddings.') && !n.startsWith('encoder.') && !n.startsWith('pooler.')) return undefined;
  if (/LayerNorm\.gamma$/.test(n)) n = n.replace(/gamma$/, 'weight');
  else if (/LayerNorm\.beta$/.test(n)) n = n.replace(/beta$/, 'bias');
  return n;
}

/** Picks BertModel's tensors out of a checkpoint, checking that each is present and has the right shape. */
export function selectBertWeights(
  specs: ParamSpec[],
  tensors: Map<string, SafetensorsTensor>,
  file: string,
): Map<string, SafetensorsTensor> {
  const byName = new Map<string, SafetensorsTensor>();
  for (const [raw, t] of tensors) {
    const n = canonicalBertName(raw);
    if (n && !byName.has(n)) byName.set(n, t);
  }
  const out = new Map<string, SafetensorsTensor>();
  const missing: string[] = [];
  for (const spec of specs) {
    const t = byName.get(spec.name);
    if (!t) {
      if (!spec.optional) missing.push(spec.name);
      continue;
    }
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      throw new Error(
        `${file}: weight "${spec.name}" has shape [${t.shape}], config.json implies [${spec.shape}]`,
      );
    }
    if (!(t.data instanceof Float32Array))
      throw new Error(`${file}: weight "${spec.name}" is ${t.dtype}, expected a float type`);
    out.set(spec.name, t);
  }
  if (missing.length) {
    const shown = missing.slice(0, 5).join(', ');
    throw new Error(
      `${file}: missing weight${missing.length > 1 ? 's' : ''} ${shown}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`,
    );
  }
  return out;
}
