export {
  type Augmenter,
  type AugmentAllOptions,
  augmentAll,
  compose,
  fromFunction,
  oneOf,
  times,
} from './augmenter.js';
export { deleteWords, deletionNoise } from './deletion.js';
export {
  EDA_STOP_WORDS,
  type EdaOperationOptions,
  type EdaOptions,
  eda,
  edaClean,
  edaRandomDeletion,
  edaRandomInsertion,
  edaRandomSwap,
  edaSynonymReplacement,
  edaSynonyms,
  randomDeletion,
  randomInsertion,
  randomSwap,
  synonymReplacement,
} from './eda.js';
export { type Synset, WordNet, type WordNetPos, defaultWordNet } from './wordnet.js';
export {
  type GenerativeOptions,
  PARAPHRASE_PROMPT,
  QUERY_PROMPT,
  TRANSLATE_PROMPT,
  backTranslation,
  cleanReply,
  fillTemplate,
  paraphrase,
  queryGeneration,
} from './generative.js';
export {
  type PairSearcher,
  type SearchHit,
  type SilverPair,
  type TopKPairsOptions,
  randomPairs,
  topKPairs,
} from './pairs.js';
