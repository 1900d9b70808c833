import { mailwireProject } from '../../vitest.shared.ts';

const project = mailwireProject('store-postgres');

// The shared conditions list `import`, which Node also applies to `require()` inside CommonJS
// dependencies: `pg` would then load the ESM build of `pg-pool` through require() and break. The
// ESM `import` condition is added by the resolver where it applies anyway.
const conditions = ['@mailwire/source', 'module', 'node', 'default'];

export default {
  ...project,
  resolve: { ...project.resolve, conditions },
  ssr: { ...project.ssr, resolve: { ...project.ssr?.resolve, conditions } },
};
