/**
 * Per-call generation settings. Every field is optional; a provider applies its own configured defaults for
 * the ones left out. `seed` asks the provider for a reproducible sample (OpenAI's `seed`) and is part of the
 * cache key, so n samples of one prompt are n different seeds.
 */
export interface GenerateOptions {
  temperature?: number;
  maxTokens?: number;
  seed?: number;
  stop?: string[];
  /** A system message sent before the prompt. */
  system?: string;
  signal?: AbortSignal;
}

/**
 * Anything that turns a prompt into text. Kept structural and tiny so negatives, augment and GPL accept any
 * object of this shape (an OpenAI-compatible endpoint, a local model, a test double).
 */
export interface TextGenerator {
  generate(prompt: string, options?: GenerateOptions): Promise<string>;
}
