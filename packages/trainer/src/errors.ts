/** Training hit a NaN or infinite loss: names the step, the batch and the last good checkpoint. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly loss: number,
    readonly firstTexts: string[],
    readonly lastCheckpoint: string | undefined,
  ) {
    super(
      `loss is ${loss} at step ${step}; the batch starts with ${firstTexts.map((t) => JSON.stringify(t.length > 80 ? `${t.slice(0, 77)}...` : t)).join(', ')}; ` +
        (lastCheckpoint ? `last good checkpoint: ${lastCheckpoint}` : 'no checkpoint was saved yet'),
    );
    this.name = 'NonFiniteLossError';
  }
}
