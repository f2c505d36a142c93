import { HubError } from '../errors.js';
import type { ResolvedOptions } from './resolved_options.js';
import { type RequestTarget, describeTarget } from './target.js';

export function offlineMissError(target: RequestTarget, cacheDir: string): HubError {
  return new HubError(
    `${describeTarget(target)} is not in the hub cache at ${cacheDir}, and offline mode is on ` +
      '(HF_HUB_OFFLINE or offline: true). Download it once with network access, or point cacheDir/HF_HUB_CACHE at a cache that has it.',
  );
}

/** The error to throw when the network failed and the cache could not stand in. */
export function unreachableError(error: unknown, target: RequestTarget, options: ResolvedOptions): unknown {
  if (error instanceof HubError) return error;
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  const message = error instanceof Error ? error.message : String(error);
  return new HubError(
    `Could not reach ${options.endpoint} for ${describeTarget(target)} (${message}${cause}), and it is not in the hub cache at ${options.cacheDir}.`,
    { cause: error },
  );
}
