import { packageBuild } from '../../tsup.base.js';

// shims: import.meta.url in the CommonJS build (main.ts reads its package.json for --version).
export default packageBuild({ entry: ['src/index.ts', 'src/bin.ts'], shims: true });
