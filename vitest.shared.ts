import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

/** The per-package vitest project: resolves workspace packages to their TypeScript source. */
// Workspace packages resolve to their TypeScript source. `import` is deliberately absent: Node
// would also apply it to `require()` inside CommonJS dependencies (`pg` then loads the ESM build of
// `pg-pool` through require() and breaks); the resolver adds it where it applies.
const conditions = ['@mailwire/source', 'module', 'node', 'default'];

export function mailwireProject(name: string, extra: UserWorkspaceConfig['test'] = {}) {
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 20_000,
      // Memory-bound tests (the store kit's big-message check) collect garbage before measuring.
      execArgv: ['--expose-gc'],
      hookTimeout: 30_000,
      ...extra,
    },
  });
}
