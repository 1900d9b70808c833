/**
 * The published shape: every package's build must load from a plain Node ESM script and from a
 * CommonJS script through its `exports` map — not only through vitest's TypeScript path — and
 * both formats must expose the same names. Runs after `pnpm build` (part of `pnpm test`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const packagesDir = join(root, 'packages');

interface Manifest {
  name: string;
  private?: boolean;
  type?: string;
  sideEffects?: boolean;
  engines?: { node?: string };
  exports: Record<string, unknown>;
}

const packages = readdirSync(packagesDir)
  .filter((dir) => existsSync(join(packagesDir, dir, 'package.json')))
  .map((dir) => ({
    dir,
    manifest: JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8')) as Manifest,
  }))
  .filter((p) => !p.manifest.private);

// A scratch project that sees the packages only as an installed user would: by name, through node_modules.
const scratch = mkdtempSync(join(tmpdir(), 'mailwire-dist-'));
mkdirSync(join(scratch, 'node_modules', '@mailwire'), { recursive: true });
for (const { dir, manifest } of packages) {
  symlinkSync(join(packagesDir, dir), join(scratch, 'node_modules', manifest.name), 'dir');
}
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: scratch, encoding: 'utf8' });
}

describe.each(packages)('$manifest.name', ({ manifest }) => {
  const subpaths = Object.keys(manifest.exports).filter((key) => key !== './package.json');

  it('declares the published shape (ESM + CJS with types, no side effects, Node >= 20)', () => {
    expect(manifest.type).toBe('module');
    expect(manifest.sideEffects).toBe(false);
    expect(manifest.engines?.node).toBe('>=20');
    for (const subpath of subpaths) {
      const entry = manifest.exports[subpath] as Record<string, Record<string, string>>;
      expect(Object.keys(entry.import ?? {})[0]).toBe('types');
      // A subpath may be ESM-only (the conformance kit runs inside vitest, which is ESM-only).
      if (entry.require) expect(Object.keys(entry.require)[0]).toBe('types');
    }
  });

  it.each(subpaths)('loads %s from ESM (and CJS where declared) with the same exports', (subpath) => {
    const specifier = subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
    const esm = node([
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).sort()))`,
    ]);
    const entry = manifest.exports[subpath] as Record<string, unknown>;
    const cjs =
      entry.require === undefined
        ? undefined
        : node([
            '--input-type=commonjs',
            '-e',
            `const m = require(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).sort()))`,
          ]);
    const esmNames = JSON.parse(esm) as string[];
    expect(esmNames.length).toBeGreaterThan(0);
    if (cjs !== undefined) expect(JSON.parse(cjs)).toEqual(esmNames);
  });
});
