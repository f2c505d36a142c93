// Example: NLI + cosine. Usage: pnpm --filter @contrastive/examples nli-cosine [--full] [--max-rows N] [--output DIR]
import { nliExampleMain } from '../common/nli_example.js';

await nliExampleMain('nli_cosine', ['cosine']);
