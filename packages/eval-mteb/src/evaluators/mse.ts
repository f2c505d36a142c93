import { embedAll } from '../internal/embed.js';
import type { Embedder, EvaluateOptions, EvaluationResult, Evaluator } from '../types.js';
import { type TaskNaming, finish } from './sts.js';

/**
 * sentence-transformers' MSEEvaluator, for distillation: the mean squared error between the teacher's embeddings of
 * the source sentences (given, or computed once by `teacher`) and the evaluated model's embeddings of the target
 * sentences (the same sentences, or their translations), × 100. Key `negative_mse` (−MSE × 100, so higher is
 * better, as every main score); main score `negative_mse`.
 */
export class MseEvaluator implements Evaluator {
  readonly name: string;
  readonly split: string;
  readonly mainScoreName = 'negative_mse';
  private teacherEmbeddings: Promise<ArrayLike<number>[]> | undefined;

  constructor(
    readonly data: {
      sourceSentences: string[];
      targetSentences: string[];
      /** The teacher's embeddings of `sourceSentences`; or give `teacher` to compute them (once). */
      teacherEmbeddings?: ArrayLike<number>[];
      teacher?: Embedder;
    },
    naming: TaskNaming = {},
  ) {
    const n = data.sourceSentences.length;
    if (n === 0) throw new Error('MseEvaluator: no sentences');
    if (data.targetSentences.length !== n)
      throw new Error(`MseEvaluator: ${n} source sentences, ${data.targetSentences.length} target sentences`);
    if (data.teacherEmbeddings) {
      if (data.teacherEmbeddings.length !== n)
        throw new Error(
          `MseEvaluator: ${data.teacherEmbeddings.length} teacher embeddings for ${n} source sentences`,
        );
      this.teacherEmbeddings = Promise.resolve(data.teacherEmbeddings);
    } else if (!data.teacher) throw new Error('MseEvaluator: give teacherEmbeddings or a teacher model');
    this.name = naming.name ?? 'mse';
    this.split = naming.split ?? 'test';
  }

  async evaluate(model: Embedder, options: EvaluateOptions = {}): Promise<EvaluationResult> {
    const start = performance.now();
    if (!this.teacherEmbeddings) {
      const pending = embedAll(this.data.teacher!, this.data.sourceSentences, options);
      this.teacherEmbeddings = pending;
      // A failed run is not kept: the next evaluate() asks the teacher again.
      pending.catch(() => {
        if (this.teacherEmbeddings === pending) this.teacherEmbeddings = undefined;
      });
    }
    const teacher = await this.teacherEmbeddings;
    const student = await embedAll(model, this.data.targetSentences, options);
    let sum = 0;
    let count = 0;
    student.forEach((s, i) => {
      const t = teacher[i]!;
      if (s.length !== t.length)
        throw new Error(`MseEvaluator: the model's embedding is ${s.length} wide, the teacher's ${t.length}`);
      for (let j = 0; j < s.length; j++) sum += (s[j]! - t[j]!) ** 2;
      count += s.length;
    });
    return finish(this, { negative_mse: (-sum / count) * 100 }, start);
  }
}
