export type { GenerateOptions, TextGenerator } from './generator.js';
export { LlmError } from './errors.js';
export { OpenAIChatGenerator, type OpenAIChatOptions, resolveApiKey } from './openai_chat.js';
export {
  type GeneratorConfig,
  type GeneratorFromConfigOptions,
  generatorFromConfig,
  loadGenerator,
} from './config.js';
