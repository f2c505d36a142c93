import { packageBuild } from '../../tsup.base.js';

export default packageBuild({
  // vega is ESM-only: keep `import()` as is in the CJS build too.
  esbuildOptions(options) {
    options.supported = { ...options.supported, 'dynamic-import': true };
  },
});
