import { type SimilarityFunction, parseSimilarityFunction } from '@contrastive/pooling';
import type { LossOptions } from './types.js';

/** `num_labels`, `numLabels` and `num-labels` are the same option (sentence-transformers spells them snake_case). */
function normalizeKey(key: string): string {
  return key.replace(/[-_.\s]/g, '').toLowerCase();
}

/**
 * Reads a loss's plain options object (values may be strings from `--loss-arg key=value`), then
 * `done()` rejects keys nobody asked for, so a typo is an error instead of a silent default.
 */
export class OptionReader {
  private readonly values = new Map<string, { key: string; value: unknown }>();
  private readonly known: string[] = [];

  constructor(
    /** The loss's registry name, which starts every error message. */
    readonly loss: string,
    options: LossOptions = {},
  ) {
    for (const [key, value] of Object.entries(options)) {
      if (value === undefined) continue;
      const k = normalizeKey(key);
      if (this.values.has(k)) throw new Error(`${loss}: option "${key}" is given twice`);
      this.values.set(k, { key, value });
    }
  }

  private take(name: string): { key: string; value: unknown } | undefined {
    this.known.push(name);
    const k = normalizeKey(name);
    const v = this.values.get(k);
    this.values.delete(k);
    return v;
  }

  raw(name: string): unknown {
    return this.take(name)?.value;
  }

  number(name: string, fallback: number, check?: (v: number) => string | undefined): number;
  number(name: string, fallback?: number, check?: (v: number) => string | undefined): number | undefined;
  number(name: string, fallback?: number, check?: (v: number) => string | undefined): number | undefined {
    const v = this.take(name);
    if (!v) return fallback;
    const n =
      typeof v.value === 'number'
        ? v.value
        : typeof v.value === 'string'
          ? Number(v.value.trim())
          : Number.NaN;
    if (!Number.isFinite(n) || (typeof v.value === 'string' && v.value.trim() === '')) {
      throw new Error(`${this.loss}: option ${v.key} must be a number, got ${JSON.stringify(v.value)}`);
    }
    const problem = check?.(n);
    if (problem) throw new Error(`${this.loss}: option ${v.key} ${problem}, got ${n}`);
    return n;
  }

  boolean(name: string, fallback: boolean): boolean {
    const v = this.take(name);
    if (!v) return fallback;
    if (typeof v.value === 'boolean') return v.value;
    if (typeof v.value === 'string' && /^(true|1|yes)$/i.test(v.value.trim())) return true;
    if (typeof v.value === 'string' && /^(false|0|no)$/i.test(v.value.trim())) return false;
    throw new Error(`${this.loss}: option ${v.key} must be true or false, got ${JSON.stringify(v.value)}`);
  }

  string<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const v = this.take(name);
    if (!v) return fallback;
    const s = typeof v.value === 'string' ? v.value.trim().toLowerCase() : undefined;
    const hit = allowed.find((a) => a.toLowerCase() === s);
    if (!hit)
      throw new Error(
        `${this.loss}: option ${v.key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v.value)}`,
      );
    return hit;
  }

  similarity(name: string, fallback: SimilarityFunction): SimilarityFunction {
    const v = this.take(name);
    if (!v) return fallback;
    if (typeof v.value !== 'string')
      throw new Error(
        `${this.loss}: option ${v.key} must be a similarity name, got ${JSON.stringify(v.value)}`,
      );
    try {
      return parseSimilarityFunction(v.value);
    } catch (e) {
      throw new Error(`${this.loss}: option ${v.key}: ${(e as Error).message}`);
    }
  }

  /** A list of numbers: an array, or a string `"768,512"` / `"[768, 512]"`. */
  numbers(name: string): number[] | undefined {
    const v = this.take(name);
    if (!v) return undefined;
    const parts =
      typeof v.value === 'number'
        ? [v.value]
        : Array.isArray(v.value)
          ? v.value
          : typeof v.value === 'string'
            ? v.value
                .replace(/^\s*\[|\]\s*$/g, '')
                .split(/[,\s]+/)
                .filter((s) => s !== '')
            : undefined;
    const out = parts?.map((p) =>
      typeof p === 'number' ? p : typeof p === 'string' ? Number(p) : Number.NaN,
    );
    if (!out || out.length === 0 || out.some((n) => !Number.isFinite(n))) {
      throw new Error(
        `${this.loss}: option ${v.key} must be a list of numbers like "768,512", got ${JSON.stringify(v.value)}`,
      );
    }
    return out;
  }

  /** Every remaining option whose key starts with `prefix.` (e.g. `inner.scale=10`), prefix removed. */
  prefixed(prefix: string): LossOptions {
    const out: LossOptions = {};
    for (const [k, v] of [...this.values]) {
      if (!v.key.startsWith(`${prefix}.`)) continue;
      out[v.key.slice(prefix.length + 1)] = v.value;
      this.values.delete(k);
    }
    return out;
  }

  done(): void {
    if (this.values.size === 0) return;
    const unknown = [...this.values.values()].map((v) => v.key);
    throw new Error(
      `${this.loss}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${this.known.join(', ') || 'none'})`,
    );
  }
}

export const positive = (v: number) => (v > 0 ? undefined : 'must be positive');
export const nonNegative = (v: number) => (v >= 0 ? undefined : 'must be ≥ 0');
export const positiveInteger = (v: number) =>
  Number.isInteger(v) && v > 0 ? undefined : 'must be a positive integer';
