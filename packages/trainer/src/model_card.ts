import type { Loss } from '@contrastive/losses';
import type { TrainingArguments } from './arguments.js';
import type { TrainableEncoder } from './types.js';

export interface ModelCardInput {
  model: TrainableEncoder;
  modelName?: string;
  baseModel?: string;
  args: TrainingArguments;
  datasets: Array<{
    name: string;
    rows: number;
    columns: string[];
    loss: Loss;
    examples: Array<Record<string, unknown>>;
  }>;
  history: Array<Record<string, number>>;
  result: { globalStep: number; trainLoss: number; eval: Record<string, number> };
}

const fmt = (v: unknown) =>
  typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : String(v);
const cell = (v: unknown) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return (s.length > 80 ? `${s.slice(0, 77)}...` : s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
};

/** A short model card (README.md) in the spirit of the one sentence-transformers writes. */
export function writeModelCard(c: ModelCardInput): string {
  const m = c.model.summary?.() ?? {};
  const lines: string[] = [
    '---',
    'library_name: sentence-transformers',
    'pipeline_tag: sentence-similarity',
    'tags:',
    '- sentence-transformers',
    '- sentence-similarity',
    '- feature-extraction',
    '- contrastive',
    ...(c.baseModel ? [`base_model: ${c.baseModel}`] : []),
    '---',
    '',
    `# ${c.modelName ?? 'SentenceTransformer'}${c.baseModel ? ` based on ${c.baseModel}` : ''}`,
    '',
    'A sentence-transformers model trained with [contrastive](https://www.npmjs.com/package/@contrastive/trainer) (TypeScript, tfjs).',
    'It maps sentences to a dense vector space and loads unchanged in Python `sentence-transformers`.',
    '',
    '## Model details',
    '',
    ...(m.maxSeqLength !== undefined ? [`- **Maximum sequence length:** ${m.maxSeqLength} tokens`] : []),
    ...(m.dimension !== undefined ? [`- **Output dimensionality:** ${m.dimension}`] : []),
    ...(m.similarityFunction ? [`- **Similarity function:** ${m.similarityFunction}`] : []),
    ...(m.architecture ? [`- **Architecture:** ${m.architecture}`] : []),
    '',
    '## Usage',
    '',
    '```python',
    'from sentence_transformers import SentenceTransformer',
    'model = SentenceTransformer("path/to/this/model")',
    'embeddings = model.encode(["The weather is lovely today.", "It is sunny outside!"])',
    '```',
    '',
    '## Training data and losses',
    '',
  ];
  for (const d of c.datasets) {
    lines.push(
      `### ${d.name}`,
      '',
      `- **Size:** ${d.rows} rows`,
      `- **Columns:** ${d.columns.map((x) => `\`${x}\``).join(', ')}`,
      `- **Loss:** \`${d.loss.name}\``,
      '',
    );
    if (d.examples.length) {
      lines.push(`| ${d.columns.join(' | ')} |`, `|${d.columns.map(() => '---').join('|')}|`);
      for (const e of d.examples) lines.push(`| ${d.columns.map((col) => cell(e[col])).join(' | ')} |`);
      lines.push('');
    }
  }
  const a = c.args;
  const shown: Array<[string, unknown]> = [
    ['num_train_epochs', a.numTrainEpochs],
    ['max_steps', a.maxSteps],
    ['per_device_train_batch_size', a.perDeviceTrainBatchSize],
    ['learning_rate', a.learningRate],
    ['lr_scheduler_type', a.lrSchedulerType],
    ['warmup_steps', a.warmupSteps],
    ['warmup_ratio', a.warmupRatio],
    ['weight_decay', a.weightDecay],
    ['max_grad_norm', a.maxGradNorm],
    ['gradient_accumulation_steps', a.gradientAccumulationSteps],
    ['batch_sampler', a.batchSampler],
    ['multi_dataset_batch_sampler', a.multiDatasetBatchSampler],
    ['seed', a.seed],
  ];
  lines.push('## Training hyperparameters', '', ...shown.map(([k, v]) => `- \`${k}\`: ${fmt(v)}`), '');
  const logs = c.history.filter((h) => typeof h.loss === 'number');
  if (logs.length) {
    lines.push(
      '## Training logs',
      '',
      '| step | epoch | training loss | learning rate |',
      '|---|---|---|---|',
    );
    for (const h of logs.slice(-20))
      lines.push(`| ${h.step} | ${fmt(h.epoch)} | ${fmt(h.loss)} | ${fmt(h.learning_rate)} |`);
    lines.push('');
  }
  lines.push(
    '## Results',
    '',
    `- **Steps:** ${c.result.globalStep}`,
    `- **Mean training loss:** ${fmt(c.result.trainLoss)}`,
  );
  for (const [k, v] of Object.entries(c.result.eval)) lines.push(`- **${k}:** ${fmt(v)}`);
  lines.push('', '![training curves](training_curves.svg)', '');
  return lines.join('\n');
}
