import { type EngineChoice, readFloat32 } from '@contrastive/tensor-gpu';
import type { BertModel } from '../model.js';
import type { TorchTensor } from './bert_graph.js';
import {
  AUTO_WORKERS_MIN_TEXTS,
  type OnnxEncoderSession,
  type OnnxSessionOptions,
} from './encoder_session.js';

/**
 * Views of a BERT's own `[in, out]` weights for building an ONNX session (no copies: a base-sized model would need
 * three). Valid only until the next tfjs operation: call right before the graph is written.
 */
export function bertWeightViews(bert: BertModel): () => Record<string, TorchTensor> {
  return () =>
    Object.fromEntries(
      bert
        .namedVariables()
        .map(({ name, variable }) => [name, { shape: variable.shape, data: readFloat32(variable) }]),
    );
}

/**
 * The one onnxruntime snapshot a model keeps for encoding or scoring: reused while its key (the weight tensors'
 * ids and the settings it was built from) is unchanged, rebuilt otherwise, freed by `release`.
 */
export class OnnxSessionCache {
  private current?: { key: unknown[]; session: Promise<OnnxEncoderSession> };
  /**
   * Set by the first call of `AUTO_WORKERS_MIN_TEXTS` texts or more that may run on onnxruntime (`noteCall`), or
   * by `markBulk`: from then on, snapshots are built with `workers: 'auto'` unless the options give `workers`.
   * One-way (kept across `release`), so that smaller calls after a large one do not rebuild the snapshot.
   */
  private bulk = false;

  /** The calls to come embed many texts (a data set): build snapshots as for a call of that many. */
  markBulk(): void {
    this.bulk = true;
  }

  /** A call of `count` texts (or pairs) on `engine`, the model's default already put in for `auto`. */
  noteCall(count: number, engine: EngineChoice): void {
    // A call pinned to tfjs, however large, leaves the onnx snapshot as it is.
    if (count >= AUTO_WORKERS_MIN_TEXTS && engine !== 'tfjs') this.bulk = true;
  }

  /** `options` as the snapshot is built with them (and keyed by): `workers: 'auto'` after bulk work. */
  snapshotOptions(options: OnnxSessionOptions): OnnxSessionOptions {
    return this.bulk && options.workers === undefined ? { ...options, workers: 'auto' } : options;
  }

  /** The cached session when `key` matches the one it was built for. */
  get(key: readonly unknown[]): Promise<OnnxEncoderSession> | undefined {
    const c = this.current;
    return c && c.key.length === key.length && c.key.every((k, i) => k === key[i]) ? c.session : undefined;
  }

  /** Frees the cached session, then builds and caches a new one for `key` (forgotten again if the build fails). */
  async build(
    key: readonly unknown[],
    create: () => Promise<OnnxEncoderSession>,
  ): Promise<OnnxEncoderSession> {
    await this.release();
    const session = create();
    this.current = { key: [...key], session };
    try {
      return await session;
    } catch (e) {
      this.current = undefined;
      throw e;
    }
  }

  async release(): Promise<void> {
    const c = this.current;
    this.current = undefined;
    const session = await c?.session.catch(() => undefined);
    await session?.release();
  }
}
