/** Python's fnmatch.translate: `*` and `?` also match `/`, `[...]` / `[!...]` are character sets. */
export function fnmatchToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) {
        source += '\\[';
        continue;
      }
      let set = pattern.slice(i + 1, j);
      const negated = set.startsWith('!');
      if (negated) set = set.slice(1);
      // In a JS class, `\`, `]` and a leading `^` are special; in fnmatch they are plain.
      set = set.replace(/[\\\]^]/g, '\\$&');
      source += `[${negated ? '^' : ''}${set}]`;
      i = j;
    } else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

/**
 * huggingface_hub's filter_repo_objects: kept when it matches an allow pattern (if any) and no
 * ignore pattern; a pattern ending in `/` means everything under that folder.
 */
export function filterPaths(paths: string[], allowPatterns?: string[], ignorePatterns?: string[]): string[] {
  const compile = (patterns: string[] | undefined) =>
    patterns?.map((p) => fnmatchToRegExp(p.endsWith('/') ? `${p}*` : p));
  const allow = compile(allowPatterns);
  const ignore = compile(ignorePatterns);
  return paths.filter(
    (path) =>
      (allow === undefined || allow.some((re) => re.test(path))) &&
      (ignore === undefined || !ignore.some((re) => re.test(path))),
  );
}
