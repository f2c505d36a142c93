/** Options shared by every hub call. Defaults follow huggingface_hub's environment variables. */
export interface HubOptions {
  /** Branch, tag, commit sha or a ref such as `refs/convert/parquet`. Default `main`. */
  revision?: string;
  /** Default `model`. */
  repoType?: 'model' | 'dataset';
  /** Default resolveHubCacheDir(). */
  cacheDir?: string;
  /** Default HF_TOKEN, else HUGGING_FACE_HUB_TOKEN. Sent as a bearer token, never logged. */
  token?: string;
  /** Cache only, no network. Default: HF_HUB_OFFLINE is 1/true/yes/on. */
  offline?: boolean;
  /** Default HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Injectable for tests. */
  fetch?: typeof fetch;
  onProgress?: (e: { file: string; loaded: number; total?: number }) => void;
}
