import { readFileSync } from 'node:fs';

/** The fields of Hugging Face's `config.json` that a BERT encoder needs (names as in the file). */
export interface BertConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'relu';
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  layer_norm_eps: number;
  pad_token_id: number;
  initializer_range: number;
  position_embedding_type: 'absolute';
  /** Everything else in the file, written back unchanged on save. */
  extra: Record<string, unknown>;
}

const DEFAULTS = {
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
  initializer_range: 0.02,
  position_embedding_type: 'absolute',
} as const;

const REQUIRED = [
  'vocab_size',
  'hidden_size',
  'num_hidden_layers',
  'num_attention_heads',
  'intermediate_size',
  'max_position_embeddings',
] as const;

/** Parses and checks a BERT `config.json`; errors name the file and the field. */
export function parseBertConfig(json: Record<string, unknown>, file = 'config.json'): BertConfig {
  const type = json.model_type;
  if (type !== undefined && type !== 'bert') {
    throw new Error(`${file}: model_type "${String(type)}" is not supported (only "bert")`);
  }
  const num = (key: string, value: unknown, integer: boolean, min: number): number => {
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      (integer && !Number.isInteger(value)) ||
      value < min
    ) {
      throw new Error(
        `${file}: "${key}" must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  const out: Record<string, unknown> = {};
  for (const key of REQUIRED) {
    if (!(key in json)) throw new Error(`${file}: missing "${key}"`);
    out[key] = num(key, json[key], true, 1);
  }
  out.hidden_act = json.hidden_act ?? DEFAULTS.hidden_act;
  if (!['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu'].includes(out.hidden_act as string)) {
    throw new Error(
      `${file}: hidden_act "${String(out.hidden_act)}" is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)`,
    );
  }
  out.hidden_dropout_prob = num(
    'hidden_dropout_prob',
    json.hidden_dropout_prob ?? DEFAULTS.hidden_dropout_prob,
    false,
    0,
  );
  out.attention_probs_dropout_prob = num(
    'attention_probs_dropout_prob',
    json.attention_probs_dropout_prob ?? DEFAULTS.attention_probs_dropout_prob,
    false,
    0,
  );
  out.type_vocab_size = num('type_vocab_size', json.type_vocab_size ?? DEFAULTS.type_vocab_size, true, 1);
  out.layer_norm_eps = num('layer_norm_eps', json.layer_norm_eps ?? DEFAULTS.layer_norm_eps, false, 0);
  out.pad_token_id = num('pad_token_id', json.pad_token_id ?? DEFAULTS.pad_token_id, true, 0);
  out.initializer_range = num(
    'initializer_range',
    json.initializer_range ?? DEFAULTS.initializer_range,
    false,
    0,
  );
  out.position_embedding_type = json.position_embedding_type ?? DEFAULTS.position_embedding_type;
  if (out.position_embedding_type !== 'absolute') {
    throw new Error(
      `${file}: position_embedding_type "${String(out.position_embedding_type)}" is not supported (only "absolute")`,
    );
  }
  const hidden = out.hidden_size as number;
  const heads = out.num_attention_heads as number;
  if (hidden % heads !== 0)
    throw new Error(`${file}: hidden_size ${hidden} is not a multiple of num_attention_heads ${heads}`);
  const known = new Set<string>([...REQUIRED, ...Object.keys(DEFAULTS)]);
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) if (!known.has(k)) extra[k] = v;
  return { ...(out as Omit<BertConfig, 'extra'>), extra };
}

export function readBertConfig(path: string): BertConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`${path}: model config not found`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseBertConfig(json as Record<string, unknown>, path);
}

/** The config as Hugging Face writes it (`architectures: ["BertModel"]`, `model_type: "bert"`). */
export function bertConfigToJson(config: BertConfig): Record<string, unknown> {
  const { extra, ...fields } = config;
  return {
    architectures: ['BertModel'],
    ...extra,
    model_type: 'bert',
    ...fields,
    torch_dtype: 'float32',
  };
}

/** Shapes of the well-known presets. */
export const BERT_PRESETS = {
  tiny: {
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 64,
    max_position_embeddings: 64,
  },
  mini: {
    hidden_size: 384,
    num_hidden_layers: 6,
    num_attention_heads: 12,
    intermediate_size: 1536,
    max_position_embeddings: 512,
  },
  small: {
    hidden_size: 512,
    num_hidden_layers: 4,
    num_attention_heads: 8,
    intermediate_size: 2048,
    max_position_embeddings: 512,
  },
  base: {
    hidden_size: 768,
    num_hidden_layers: 12,
    num_attention_heads: 12,
    intermediate_size: 3072,
    max_position_embeddings: 512,
  },
} as const;

export type BertPreset = keyof typeof BERT_PRESETS;

export function presetConfig(preset: BertPreset, vocabSize = 30522): BertConfig {
  const shape = BERT_PRESETS[preset];
  if (!shape) throw new Error(`unknown preset "${preset}" (${Object.keys(BERT_PRESETS).join(', ')})`);
  return parseBertConfig({ model_type: 'bert', vocab_size: vocabSize, ...shape });
}
