// The word tokens augmenters work on are @contrastive/core's (shared with the TSDAE loss's deletion noise).
export { joinTokens, wordTokens } from '@contrastive/core';
