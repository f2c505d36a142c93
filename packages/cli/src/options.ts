import { InvalidArgumentError } from 'commander';

export function parsePositiveInt(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${flag} must be a positive integer, got "${value}"`);
    return n;
  };
}

export function parseNonNegativeInt(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`${flag} must be a non-negative integer, got "${value}"`);
    return n;
  };
}

export function parseNumber(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n))
      throw new InvalidArgumentError(`${flag} must be a number, got "${value}"`);
    return n;
  };
}

/**
 * commander's parser for `flag` from a library's own check (`parse(value, flag)` throws a message naming the flag),
 * its error made a usage error.
 */
export function asUsageError<T>(
  parse: (value: string, flag: string) => T,
  flag: string,
): (value: string) => T {
  return (value) => {
    try {
      return parse(value, flag);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
