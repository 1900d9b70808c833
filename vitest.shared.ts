import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

/** The per-package vitest project: resolves workspace packages to their TypeScript source. */
export function mailwireProject(name: string, extra: UserWorkspaceConfig['test'] = {}) {
  return defineProject({
    resolve: { conditions: ['@mailwire/source', 'module', 'node', 'import', 'default'] },
    ssr: { resolve: { conditions: ['@mailwire/source', 'module', 'node', 'import', 'default'] } },
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 20_000,
      hookTimeout: 30_000,
      ...extra,
    },
  });
}
