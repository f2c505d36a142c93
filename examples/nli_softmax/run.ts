// Example: NLI + softmax. Usage: pnpm --filter @contrastive/examples nli-softmax [--full] [--max-rows N] [--output DIR]
import { nliExampleMain } from '../common/nli_example.js';

await nliExampleMain('nli_softmax', ['softmax']);
