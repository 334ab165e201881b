import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { describeIssues, formatPath } from '../../src/config/describe-issues.js';
import { readYaml, type YamlFile } from '../../src/config/read-yaml.js';

function fileOf(text: string): YamlFile {
  const read = readYaml(text);
  if (!read.ok) throw new Error(JSON.stringify(read.problems));
  return read.file;
}

describe('config/describe-issues', () => {
  it.each<[PropertyKey[], string]>([
    [[], ''],
    [['deploy', 'service', 'port'], 'deploy.service.port'],
    [['allow', 0, 'paths', 1], 'allow[0].paths[1]'],
    [['branches', 'release/*', 'environment'], 'branches["release/*"].environment'],
    [['env', 'MY-VAR'], 'env.MY-VAR'],
    [['branches', 'v1.x'], 'branches["v1.x"]'],
  ])('formats the path %j as %j', (path, expected) => {
    const formatted = formatPath(path);

    expect(formatted).toBe(expected);
  });

  it('lists the allowed keys when no key is close to the unknown one', () => {
    const schema = z.strictObject({ alpha: z.string().optional(), beta: z.string().optional() });
    const file = fileOf('zzz: 1\n');

    const problems = describeIssues(schema.safeParse(file.value, { reportInput: true }).error?.issues ?? [], { schema, file });

    expect(problems).toEqual([{ path: 'zzz', line: 1, column: 1, message: 'zzz: unknown key (expected one of: alpha, beta)' }]);
  });

  it('looks through lists, optionals and transforms for the allowed keys', () => {
    const item = z.strictObject({ name: z.string() }).transform((value) => value.name);
    const schema = z.strictObject({ items: z.array(item).optional() });
    const file = fileOf('items:\n  - name: a\n  - nmae: b\n');

    const problems = describeIssues(schema.safeParse(file.value, { reportInput: true }).error?.issues ?? [], { schema, file });

    expect(problems).toEqual([{ path: 'items[1].nmae', line: 3, column: 5, message: 'items[1].nmae: unknown key (did you mean "name"?)' }]);
  });

  it('does not suggest a key that differs in half its letters', () => {
    const schema = z.strictObject({ type: z.string().optional() });
    const file = fileOf('tag: x\n');

    const problems = describeIssues(schema.safeParse(file.value, { reportInput: true }).error?.issues ?? [], { schema, file });

    expect(problems.map((problem) => problem.message)).toEqual(['tag: unknown key (expected one of: type)']);
  });
});
