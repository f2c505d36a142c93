export type {
  EmbeddingModel,
  EmbedCallOptions,
  ExternalTrainingStep,
  LossBatch,
  LossContext,
  LabelKind,
  ColumnRequirement,
  LossGradients,
  Loss,
  LossOptions,
  LossFactory,
  PairScoringModel,
  LossTrainingDefaults,
  FusedLossForm,
} from './types.js';
export { isPairScoringModel } from './types.js';
export {
  computeLossAndGradients,
  computeLossAndGradientsExternal,
  computeLoss,
  validateColumns,
  labelKindOf,
} from './compute.js';
export { createLoss, registerLoss, listLosses, describeLosses } from './registry.js';
export { defineLoss, lossOption } from './loss_definition.js';
export type { LossDefinition, LossOption, LossOptionValues } from './loss_definition.js';
export { OptionReader, positive, nonNegative, positiveInteger } from './options.js';
export { EmbeddingLoss } from './embedding_loss.js';
export { embedCallOptions, embedColumns, columnTexts } from './embed.js';
export { SoftmaxLoss, modelDimension } from './losses/softmax.js';
export type { SoftmaxLossOptions } from './losses/softmax.js';
export {
  CosineSimilarityLoss,
  TripletLoss,
  ContrastiveLoss,
  OnlineContrastiveLoss,
} from './losses/pair_losses.js';
export type { DistanceMetric } from './losses/pair_losses.js';
export {
  MultipleNegativesRankingLoss,
  MultipleNegativesSymmetricRankingLoss,
  InfoNCELoss,
} from './losses/mnrl.js';
export type { MultipleNegativesRankingLossOptions } from './losses/mnrl.js';
export { CachedMultipleNegativesRankingLoss } from './losses/cached_mnrl.js';
export type { CachedMultipleNegativesRankingLossOptions } from './losses/cached_mnrl.js';
export { CoSENTLoss, AnglELoss, pairwiseAngleSimilarity } from './losses/cosent.js';
export { MatryoshkaLoss, defaultMatryoshkaDims } from './losses/matryoshka.js';
export type { MatryoshkaLossOptions } from './losses/matryoshka.js';
export { GISTEmbedLoss } from './losses/gist.js';
export type { GISTEmbedLossOptions } from './losses/gist.js';
export { MarginMSELoss, DistillKLDivLoss, EmbeddingMSELoss } from './losses/distillation.js';
export { SimCSELoss } from './losses/simcse.js';
export { ContrastiveTensionLoss } from './losses/contrastive_tension.js';
export type { ContrastiveTensionLossOptions } from './losses/contrastive_tension.js';
export {
  BatchHardTripletLoss,
  BatchAllTripletLoss,
  BatchSemiHardTripletLoss,
  batchDistances,
} from './losses/batch_triplet.js';
export type { BatchDistanceMetric, BatchTripletLossOptions } from './losses/batch_triplet.js';
export { MegaBatchMarginLoss } from './losses/mega_batch_margin.js';
export type { MegaBatchMarginLossOptions } from './losses/mega_batch_margin.js';
export {
  CrossEncoderLoss,
  BinaryCrossEntropyLoss,
  CrossEntropyLoss,
  CrossEncoderMSELoss,
  CrossEncoderMultipleNegativesRankingLoss,
} from './losses/cross_encoder.js';
export type { LogitActivation } from './losses/cross_encoder.js';
export { ListNetLoss } from './losses/list_net.js';
export { DenoisingAutoEncoderLoss, tsdaeDefinition } from './losses/denoising_auto_encoder.js';
export type {
  DenoisingAutoEncoderLossOptions,
  SentenceDecoder,
  DecoderFactory,
} from './losses/denoising_auto_encoder.js';
