import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultTemplatesDir, findTemplatesDir } from '../../src/render/templates-dir.js';

describe('render/templates-dir', () => {
  it('finds the bundled deploy templates', () => {
    const dir = defaultTemplatesDir();

    expect(dir.endsWith(join('templates', 'deploy'))).toBe(true);
    expect(['deployment.yaml.hbs', 'service.yaml.hbs', 'kustomization.yaml.hbs'].every((file) => existsSync(join(dir, file)))).toBe(true);
  });

  it('finds templates/deploy above the compiled module in dist/src/render', () => {
    const root = mkdtempSync(join(tmpdir(), 's2i-render-root-'));
    try {
      mkdirSync(join(root, 'templates', 'deploy'), { recursive: true });
      mkdirSync(join(root, 'dist', 'src', 'render'), { recursive: true });

      const dir = findTemplatesDir(join(root, 'dist', 'src', 'render'));

      expect(dir).toBe(join(root, 'templates', 'deploy'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('says so when no directory above has the templates', () => {
    const root = mkdtempSync(join(tmpdir(), 's2i-render-empty-'));
    try {
      const find = () => findTemplatesDir(root);

      expect(find).toThrow(/^no templates\/deploy directory at or above .*; reinstall s2i-bot with its templates$/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
