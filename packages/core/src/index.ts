// @contrastive/core: the zero-dependency pieces that the data side (data-nli, negatives, augment, eval-mteb)
// and the model side (tensor-gpu and up) share, so each exists once.
export {};
