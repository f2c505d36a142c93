import {
  HeapMoments,
  type HostMoments,
  adamwUpdate,
  allocateHeapMoments,
  fusedAdamWAvailable,
} from '../kernels/adamw_update.js';
import { tf } from '../tf.js';

/**
 * Internal switch for the fused wasm step (on by default; `CONTRASTIVE_FUSED_ADAMW=0` turns it off): one pass per
 * parameter (wasm SIMD, float32 op by op as torch), without the ~8 composite ops' full-size temporaries; the
 * moments live on the heap (updated in place) where it has room, else in host memory.
 */
let fusedAdamWEnabled = process.env.CONTRASTIVE_FUSED_ADAMW !== '0';

/** Internal (not exported by the package): turns the fused wasm AdamW kernel on or off. */
export function setFusedAdamW(enabled: boolean): void {
  fusedAdamWEnabled = enabled;
}

export interface NamedVariable {
  /** Hugging Face parameter name, e.g. `encoder.layer.0.attention.self.query.weight`. */
  name: string;
  variable: tf.Variable;
}

export interface ParamGroup {
  params: NamedVariable[];
  weightDecay: number;
}

export interface AdamWOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** Which parameters skip weight decay. Default: biases and LayerNorm weights, as Hugging Face's Trainer. */
  noDecay?: (name: string) => boolean;
}

export interface AdamWState {
  step: number;
  /** First and second moments by parameter name, as flat float32 arrays. */
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

/** Hugging Face Trainer's rule: no decay on biases and on LayerNorm weights (`gamma`/`beta` in old checkpoints). */
export function defaultNoDecay(name: string): boolean {
  return (
    /(^|\.)bias$/.test(name) || /LayerNorm\.(weight|gamma|beta)$/i.test(name) || /layer_?norm/i.test(name)
  );
}

/** Splits parameters into a decayed and a non-decayed group. */
export function paramGroups(
  params: NamedVariable[],
  weightDecay: number,
  noDecay = defaultNoDecay,
): ParamGroup[] {
  return [
    { params: params.filter((p) => !noDecay(p.name)), weightDecay },
    { params: params.filter((p) => noDecay(p.name)), weightDecay: 0 },
  ].filter((g) => g.params.length > 0);
}

/**
 * AdamW exactly as `torch.optim.AdamW`: decoupled weight decay `p ← p − lr·wd·p`, then the bias-corrected Adam
 * step `p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)`. Every step assigns new tensor data (a weight's data is
 * never written in place: XNNPACK caches packed weights by tensor id on wasm); a consumed gradient's data counts
 * as new. On wasm the moments are host Float32Arrays and
 * the step is one fused pass (see `setFusedAdamW`); elsewhere they are tfjs variables and the step is tfjs ops.
 */
export class AdamW {
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly groups: ParamGroup[];
  private t = 0;
  /** Moments as tfjs variables (composite path). */
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  /** Moments of the fused wasm path: on the heap (`HeapMoments`) or host arrays (loaded state, a full heap). */
  private readonly host = new Map<string, HostMoments>();

  constructor(params: NamedVariable[] | ParamGroup[], options: AdamWOptions = {}) {
    this.lr = options.lr ?? 1e-3;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    const wd = options.weightDecay ?? 0.01;
    const first = params[0];
    this.groups =
      first && 'params' in first
        ? (params as ParamGroup[])
        : paramGroups(params as NamedVariable[], wd, options.noDecay);
    const seen = new Set<string>();
    for (const g of this.groups)
      for (const p of g.params) {
        if (seen.has(p.name)) throw new Error(`AdamW: parameter "${p.name}" appears twice`);
        seen.add(p.name);
      }
  }

  get step(): number {
    return this.t;
  }

  /** Whether the fused path runs now; moments already held move to where it needs them. */
  private useHostMoments(): boolean {
    const fused = fusedAdamWEnabled && fusedAdamWAvailable();
    if (fused && this.m.size > 0) {
      for (const [name, m] of this.m) {
        const v = this.v.get(name)!;
        this.host.set(name, {
          m: new Float32Array(m.dataSync() as Float32Array),
          v: new Float32Array(v.dataSync() as Float32Array),
        });
      }
      this.disposeDeviceMoments();
    } else if (!fused && this.host.size > 0) {
      const shapes = this.shapes();
      for (const [name, { m, v }] of this.host) {
        const shape = shapes.get(name)!;
        // tidy frees the initial tensors; the variables keep their data.
        this.m.set(
          name,
          tf.tidy(() => tf.variable(tf.tensor(m, shape), false)),
        );
        this.v.set(
          name,
          tf.tidy(() => tf.variable(tf.tensor(v, shape), false)),
        );
      }
      this.clearHost();
    }
    return fused;
  }

  /**
   * Gives every parameter with a gradient its moments before any is updated: on the heap where it can (updated in
   * place there); host arrays otherwise (and loaded state until its first step moves it). All at once, so the
   * first step's heap already holds weights, moments and gradients together, as every later step does: the heap
   * grows (and its new pages are first touched) in the first step, not the second.
   */
  private allocateMoments(get: (name: string) => tf.Tensor | undefined): void {
    for (const group of this.groups)
      for (const { name, variable } of group.params) {
        let moments = this.host.get(name);
        if (moments instanceof HeapMoments || !get(name)) continue;
        const heap = allocateHeapMoments(variable.size);
        if (heap) {
          if (moments) {
            heap.m.set(moments.m);
            heap.v.set(moments.v);
          }
          moments = heap;
        } else moments ??= { m: new Float32Array(variable.size), v: new Float32Array(variable.size) };
        this.host.set(name, moments);
      }
  }

  private shapes(): Map<string, number[]> {
    return new Map(this.groups.flatMap((g) => g.params.map((p) => [p.name, p.variable.shape] as const)));
  }

  /**
   * Applies one update. `grads` maps parameter names to gradients; parameters without one are left alone.
   * `gradScale` multiplies every gradient first (global-norm clipping, the mean over micro-batches) inside the
   * update, without scaled copies. `disposeGradients`: the gradients are the update's to consume. On the fused
   * path each parameter's new values are written over its gradient (where no other tensor shares the gradient's
   * data) instead of into a new block, and each gradient is disposed once its parameter is updated (the rest at
   * the end): the heap holds weights, moments and gradients, and nothing more, from the first step on.
   */
  applyGradients(
    grads: Record<string, tf.Tensor> | Map<string, tf.Tensor>,
    options: { gradScale?: number; disposeGradients?: boolean } = {},
  ): void {
    const gradScale = options.gradScale ?? 1;
    if (!Number.isFinite(gradScale)) throw new Error(`AdamW: gradScale must be finite, got ${gradScale}`);
    const get = (n: string) => (grads instanceof Map ? grads.get(n) : grads[n]);
    this.t += 1;
    const [b1, b2] = this.betas;
    const bc1 = 1 - b1 ** this.t;
    const bc2 = 1 - b2 ** this.t;
    const stepSize = this.lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    const fused = this.useHostMoments();
    if (fused) this.allocateMoments(get);
    // A gradient the update disposes is written over with its parameter's new values (no new block) and disposed
    // once its parameter is updated, unless its data also serves another parameter here (then it is read
    // unchanged by each and disposed at the end).
    const dataUses = new Map<object, number>();
    if (options.disposeGradients)
      for (const g of grads instanceof Map ? grads.values() : Object.values(grads))
        dataUses.set(g.dataId, (dataUses.get(g.dataId) ?? 0) + 1);
    const release = (g: tf.Tensor) => {
      if (dataUses.get(g.dataId) === 1) g.dispose();
    };
    for (const group of this.groups) {
      for (const { name, variable } of group.params) {
        const gIn = get(name);
        if (!gIn) continue;
        if (fused) {
          const moments = this.host.get(name)!;
          const pNew = adamwUpdate(variable, gIn, moments, {
            beta1: b1,
            beta2: b2,
            eps: this.eps,
            decayFactor: group.weightDecay !== 0 ? 1 - this.lr * group.weightDecay : 1,
            stepSize,
            sqrtBiasCorrection2: sqrtBc2,
            gradScale,
            consumeGradient: dataUses.get(gIn.dataId) === 1,
          });
          variable.assign(pNew);
          pNew.dispose();
          release(gIn);
          continue;
        }
        let m = this.m.get(name);
        let v = this.v.get(name);
        if (!m || !v) {
          m = tf.tidy(() => tf.variable(tf.zerosLike(variable), false, `${variable.name}/adam_m`));
          v = tf.tidy(() => tf.variable(tf.zerosLike(variable), false, `${variable.name}/adam_v`));
          this.m.set(name, m);
          this.v.set(name, v);
        }
        const mv = m;
        const vv = v;
        tf.tidy(() => {
          const g = gradScale === 1 ? gIn : tf.mul(gIn, gradScale);
          const mNew = tf.add(tf.mul(mv, b1), tf.mul(g, 1 - b1));
          const vNew = tf.add(tf.mul(vv, b2), tf.mul(tf.square(g), 1 - b2));
          const denom = tf.add(tf.div(tf.sqrt(vNew), sqrtBc2), this.eps);
          let p: tf.Tensor = variable;
          if (group.weightDecay !== 0) p = tf.mul(p, 1 - this.lr * group.weightDecay);
          p = tf.sub(p, tf.mul(tf.div(mNew, denom), stepSize));
          mv.assign(mNew);
          vv.assign(vNew);
          variable.assign(p);
        });
        release(gIn);
      }
    }
    // Gradients of no parameter here, or of several (disposed twice is a no-op in tfjs).
    if (options.disposeGradients)
      for (const g of grads instanceof Map ? grads.values() : Object.values(grads)) g.dispose();
  }

  /** The full optimizer state, for checkpoints (copies). */
  async exportState(): Promise<AdamWState> {
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const [name, t] of this.m) m[name] = (await t.data()) as Float32Array;
    for (const [name, t] of this.v) v[name] = (await t.data()) as Float32Array;
    for (const [name, h] of this.host) {
      m[name] = h.m.slice();
      v[name] = h.v.slice();
    }
    return { step: this.t, m, v };
  }

  loadState(state: AdamWState): void {
    const byName = new Map(this.groups.flatMap((g) => g.params.map((p) => [p.name, p.variable] as const)));
    this.dispose();
    this.t = state.step;
    for (const [name, data] of Object.entries(state.m)) {
      const p = byName.get(name);
      const vd = state.v[name];
      if (!p) throw new Error(`AdamW state: unknown parameter "${name}"`);
      if (!vd) throw new Error(`AdamW state: parameter "${name}" has a first moment but no second`);
      if (data.length !== p.size || vd.length !== p.size) {
        throw new Error(`AdamW state: "${name}" has ${data.length} values, the parameter has ${p.size}`);
      }
      // Host copies; the next step moves them to tfjs variables if the fused path is not available.
      this.host.set(name, { m: Float32Array.from(data), v: Float32Array.from(vd) });
    }
  }

  /** Forgets the host moments, freeing those on the heap. */
  private clearHost(): void {
    for (const h of this.host.values()) if (h instanceof HeapMoments) h.release();
    this.host.clear();
  }

  private disposeDeviceMoments(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
  }

  dispose(): void {
    this.disposeDeviceMoments();
    this.clearHost();
  }
}
