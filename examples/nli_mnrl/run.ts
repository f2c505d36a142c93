// Example 3 (the main job, `pnpm start`): NLI + MultipleNegativesRankingLoss, with and without the
// contradiction hypothesis as a hard negative. Usage: pnpm --filter @contrastive/examples nli-mnrl [--full]
import { nliExampleMain } from '../common/nli_example.js';

await nliExampleMain('nli_mnrl', ['mnrl', 'mnrl-pairs']);
