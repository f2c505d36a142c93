import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '@contrastive/core';
import {
  type NamedVariable,
  gelu,
  linear,
  readSafetensors,
  tf,
  writeSafetensors,
} from '@contrastive/tensor-gpu';
import { activation as onnxActivation } from '../onnx/ops.js';
import type { Features, HeadModule, HeadModuleType, OnnxModuleWriter } from './module.js';

/** sentence-transformers' `activation_function` names for Dense layers. */
export type DenseActivation = 'tanh' | 'identity' | 'relu' | 'gelu' | 'sigmoid';

const TYPE_NAMES: Record<DenseActivation, string> = {
  tanh: 'torch.nn.modules.activation.Tanh',
  identity: 'torch.nn.modules.linear.Identity',
  relu: 'torch.nn.modules.activation.ReLU',
  gelu: 'torch.nn.modules.activation.GELU',
  sigmoid: 'torch.nn.modules.activation.Sigmoid',
};

export function parseActivation(name: string | undefined, file: string): DenseActivation {
  const n = (name ?? TYPE_NAMES.tanh).split('.').pop()!.toLowerCase();
  if (n in TYPE_NAMES) return n as DenseActivation;
  throw new Error(
    `${file}: activation_function "${name}" is not supported (${Object.keys(TYPE_NAMES).join(', ')})`,
  );
}

export function activationTypeName(a: DenseActivation): string {
  return TYPE_NAMES[a];
}

/** A Dense module's weights: y = act(x·W + b). */
export interface DenseLayer {
  inFeatures: number;
  outFeatures: number;
  activation: DenseActivation;
  /** [in, out] (transposed from PyTorch's [out, in]). */
  weight: tf.Variable;
  bias?: tf.Variable;
}

function applyActivation(a: DenseActivation, y: tf.Tensor2D): tf.Tensor2D {
  switch (a) {
    case 'tanh':
      return tf.tanh(y);
    case 'relu':
      return tf.relu(y);
    case 'sigmoid':
      return tf.sigmoid(y);
    case 'gelu':
      return gelu(y) as tf.Tensor2D;
    case 'identity':
      return y;
  }
}

/** sentence-transformers' Dense module (`2_Dense/`): a linear layer and an activation on the sentence embedding. */
export class DenseModule implements HeadModule {
  readonly type = 'sentence_transformers.models.Dense';
  readonly folderName = 'Dense';

  constructor(readonly layer: DenseLayer) {}

  outputDimension(inputDimension: number): number {
    if (inputDimension !== this.layer.inFeatures)
      throw new Error(
        `Dense takes ${this.layer.inFeatures} features, the module before it gives ${inputDimension}`,
      );
    return this.layer.outFeatures;
  }

  forward(f: Features): Features {
    if (!f.sentenceEmbedding)
      throw new Error('Dense: no sentence embedding (a Pooling module must come first)');
    const d = this.layer;
    const y = linear(f.sentenceEmbedding, d.weight as tf.Tensor2D, d.bias as tf.Tensor1D | undefined);
    return { ...f, sentenceEmbedding: applyActivation(d.activation, y as tf.Tensor2D) };
  }

  namedVariables(): NamedVariable[] {
    const out: NamedVariable[] = [{ name: 'linear.weight', variable: this.layer.weight }];
    if (this.layer.bias) out.push({ name: 'linear.bias', variable: this.layer.bias });
    return out;
  }

  async save(dir: string): Promise<void> {
    const d = this.layer;
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'config.json'),
      `${JSON.stringify({ in_features: d.inFeatures, out_features: d.outFeatures, bias: !!d.bias, activation_function: activationTypeName(d.activation) }, null, 2)}\n`,
    );
    const w = tf.tidy(() => tf.transpose(d.weight));
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {
      'linear.weight': { shape: [d.outFeatures, d.inFeatures], data: (await w.data()) as Float32Array },
    };
    w.dispose();
    if (d.bias)
      tensors['linear.bias'] = { shape: [d.outFeatures], data: (await d.bias.data()) as Float32Array };
    writeSafetensors(join(dir, 'model.safetensors'), tensors);
  }

  loadWeights(dir: string): void {
    const loaded = readDenseLayer(dir);
    const target = this.layer;
    try {
      if (loaded.inFeatures !== target.inFeatures || loaded.outFeatures !== target.outFeatures) {
        throw new Error(
          `${dir}: Dense shape ${loaded.inFeatures}→${loaded.outFeatures} does not match the model's ${target.inFeatures}→${target.outFeatures}`,
        );
      }
      target.weight.assign(loaded.weight);
      if (target.bias && loaded.bias) target.bias.assign(loaded.bias);
    } finally {
      loaded.weight.dispose();
      loaded.bias?.dispose();
    }
  }

  onnx(): OnnxModuleWriter {
    return (g, x) => {
      const d = this.layer;
      if (!x.sentenceEmbedding)
        throw new Error('Dense: no sentence embedding (a Pooling module must come first)');
      if (x.dimension !== d.inFeatures)
        throw new Error(`Dense takes ${d.inFeatures} features, the module before it gives ${x.dimension}`);
      // Copies (dataSync): the graph keeps them after this call returns.
      const w = g.initializer(
        'Dense.linear.weight',
        [d.inFeatures, d.outFeatures],
        d.weight.dataSync() as Float32Array,
      );
      let y = g.op('MatMul', [x.sentenceEmbedding, w]);
      if (d.bias)
        y = g.op('Add', [
          y,
          g.initializer('Dense.linear.bias', [d.outFeatures], d.bias.dataSync() as Float32Array),
        ]);
      return { ...x, sentenceEmbedding: onnxActivation(g, d.activation, y), dimension: d.outFeatures };
    };
  }

  describe(): string {
    return `Dense (${this.layer.inFeatures} → ${this.layer.outFeatures}, ${this.layer.activation})`;
  }

  dispose(): void {
    this.layer.weight.dispose();
    this.layer.bias?.dispose();
  }
}

function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** Reads a Dense module folder (config.json + model.safetensors); pickled weights are refused. */
export function readDenseLayer(dir: string): DenseLayer {
  const cfgFile = join(dir, 'config.json');
  const cfg = readJson<{
    in_features: number;
    out_features: number;
    bias?: boolean;
    activation_function?: string;
  }>(cfgFile);
  if (!cfg) throw new Error(`${cfgFile}: Dense config not found`);
  for (const k of ['in_features', 'out_features'] as const) {
    const v = cfg[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1 << 20)
      throw new Error(
        `${cfgFile}: "${k}" must be a positive integer (at most 1048576), got ${JSON.stringify(v)}`,
      );
  }
  const wFile = join(dir, 'model.safetensors');
  if (!existsSync(wFile)) {
    if (existsSync(join(dir, 'pytorch_model.bin')))
      throw new Error(
        `${join(dir, 'pytorch_model.bin')}: pickled PyTorch weights are refused; convert to safetensors`,
      );
    throw new Error(`${wFile}: Dense weights not found`);
  }
  const tensors = readSafetensors(wFile).tensors;
  const w = tensors.get('linear.weight');
  if (!w) throw new Error(`${wFile}: missing weight linear.weight`);
  if (w.shape[0] !== cfg.out_features || w.shape[1] !== cfg.in_features) {
    throw new Error(
      `${wFile}: linear.weight has shape [${w.shape}], config says [${cfg.out_features}, ${cfg.in_features}]`,
    );
  }
  const b = tensors.get('linear.bias');
  if (cfg.bias !== false && !b) throw new Error(`${wFile}: missing weight linear.bias`);
  return {
    inFeatures: cfg.in_features,
    outFeatures: cfg.out_features,
    activation: parseActivation(cfg.activation_function, cfgFile),
    weight: tf.tidy(() =>
      tf.variable(tf.transpose(tf.tensor2d(w.data as Float32Array, w.shape as [number, number])), true),
    ),
    bias: b && cfg.bias !== false ? tf.variable(tf.tensor1d(b.data as Float32Array), true) : undefined,
  };
}

export const DenseModuleType: HeadModuleType = {
  type: 'sentence_transformers.models.Dense',
  load(dir, context) {
    const module = new DenseModule(readDenseLayer(dir));
    if (module.layer.inFeatures !== context.inputDimension) {
      module.dispose();
      throw new Error(
        `${join(dir, 'config.json')}: in_features ${module.layer.inFeatures} ≠ the previous module's output ${context.inputDimension}`,
      );
    }
    return module;
  },
};

/** A Dense layer with uniform(±1/√in) weights (close to torch.nn.Linear's default), for new heads. */
export function randomDense(
  inFeatures: number,
  outFeatures: number,
  activation: DenseActivation = 'tanh',
  seed = 7,
): DenseLayer {
  const rand = mulberry32(seed);
  const bound = 1 / Math.sqrt(inFeatures);
  const w = new Float32Array(inFeatures * outFeatures).map(() => (rand() * 2 - 1) * bound);
  return {
    inFeatures,
    outFeatures,
    activation,
    weight: tf.variable(tf.tensor2d(w, [inFeatures, outFeatures]), true),
    bias: tf.variable(tf.zeros([outFeatures]), true),
  };
}
