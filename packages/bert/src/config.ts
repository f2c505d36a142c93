import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

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

/**
 * Upper bounds far above any real BERT (bert-large: 24 layers, hidden 1024; multilingual vocabularies ~250k;
 * long-context variants 8192 positions): a config beyond them is a typo or a hostile file, refused before any
 * allocation.
 */
const MAX: Record<(typeof REQUIRED)[number] | 'type_vocab_size', number> = {
  vocab_size: 1_000_000,
  hidden_size: 16_384,
  num_hidden_layers: 256,
  num_attention_heads: 1024,
  intermediate_size: 65_536,
  max_position_embeddings: 131_072,
  type_vocab_size: 1024,
};

/**
 * Hugging Face's decoder flags (kept in `extra`, written back as they came): `is_decoder` makes self-attention
 * causal, `add_cross_attention` adds a `crossattention` block to every layer (BertLMHeadModel, TSDAE's decoder).
 */
export function isDecoderConfig(config: BertConfig): boolean {
  return config.extra?.is_decoder === true;
}

export function hasCrossAttention(config: BertConfig): boolean {
  return config.extra?.add_cross_attention === true;
}

/** Number of float32 parameters of a BERT encoder with this config (pooler included). */
export function bertParameterCount(
  c: Pick<BertConfig, (typeof REQUIRED)[number] | 'type_vocab_size'>,
): number {
  const h = c.hidden_size;
  const i = c.intermediate_size;
  const embeddings = (c.vocab_size + c.max_position_embeddings + c.type_vocab_size) * h + 2 * h;
  const layer = 4 * (h * h + h) + 2 * h + (h * i + i) + (i * h + h) + 2 * h;
  return embeddings + c.num_hidden_layers * layer + h * h + h;
}

/**
 * Refuses a model whose weights alone would not fit: more than half of this machine's memory, or more than
 * 3 GiB when tfjs runs on wasm (its heap stops at 4 GiB and also holds activations). Names the estimate and
 * the field that dominates it.
 */
export function checkModelFits(config: BertConfig, file = 'config.json', backend?: string): void {
  const bytes = bertParameterCount(config) * 4;
  const limit = Math.min(totalmem() / 2, backend === 'wasm' ? 3 * 2 ** 30 : Number.POSITIVE_INFINITY);
  if (bytes <= limit) return;
  const h = config.hidden_size;
  const parts: Array<[string, number]> = [
    ['vocab_size', config.vocab_size * h],
    ['max_position_embeddings', config.max_position_embeddings * h],
    ['num_hidden_layers', config.num_hidden_layers * (4 * h * h + 2 * h * config.intermediate_size)],
  ];
  const field = parts.sort((a, b) => b[1] - a[1])[0]![0];
  const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
  throw new Error(
    `${file}: the weights of this config need ~${gib(bytes)} (mostly from "${field}" ${JSON.stringify((config as unknown as Record<string, unknown>)[field])}), ` +
      `more than the ${gib(limit)} this machine${backend === 'wasm' ? "'s wasm backend" : ''} allows`,
  );
}

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
  const bounded = (key: keyof typeof MAX, value: unknown): number => {
    const v = num(key, value, true, 1);
    if (v > MAX[key]) throw new Error(`${file}: "${key}" is ${v}, above the largest supported ${MAX[key]}`);
    return v;
  };
  for (const key of REQUIRED) {
    if (!(key in json)) throw new Error(`${file}: missing "${key}"`);
    out[key] = bounded(key, json[key]);
  }
  out.hidden_act = json.hidden_act ?? DEFAULTS.hidden_act;
  if (!['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu'].includes(out.hidden_act as string)) {
    throw new Error(
      `${file}: hidden_act "${String(out.hidden_act)}" is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)`,
    );
  }
  const probability = (key: string, value: unknown): number => {
    const v = num(key, value, false, 0);
    if (v >= 1) throw new Error(`${file}: "${key}" must be in [0, 1), got ${v}`);
    return v;
  };
  out.hidden_dropout_prob = probability(
    'hidden_dropout_prob',
    json.hidden_dropout_prob ?? DEFAULTS.hidden_dropout_prob,
  );
  out.attention_probs_dropout_prob = probability(
    'attention_probs_dropout_prob',
    json.attention_probs_dropout_prob ?? DEFAULTS.attention_probs_dropout_prob,
  );
  out.type_vocab_size = bounded('type_vocab_size', json.type_vocab_size ?? DEFAULTS.type_vocab_size);
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
  if ((out.pad_token_id as number) >= (out.vocab_size as number))
    throw new Error(
      `${file}: pad_token_id ${String(out.pad_token_id)} is not below vocab_size ${String(out.vocab_size)}`,
    );
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
