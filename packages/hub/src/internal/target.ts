/** What a hub request is about: a repo at a revision, and the file when there is one. */
export interface RequestTarget {
  repoId: string;
  repoType: 'model' | 'dataset';
  revision: string;
  /** The file, when the request is about one. */
  filename?: string;
}

/** `"config.json" of model "org/name" (revision "main")`, for error messages. */
export function describeTarget(target: RequestTarget): string {
  const file = target.filename === undefined ? '' : `"${target.filename}" of `;
  return `${file}${target.repoType} "${target.repoId}" (revision "${target.revision}")`;
}
