import { describe, expect, it } from '@jest/globals';
import { envName, labelValue, parseQuantity, portName, qualifiedName, show } from '../../src/render/kubernetes-rules.js';

describe('render/kubernetes-rules', () => {
  it.each([
    ['100m', 0.1],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['2', 2],
    ['128Mi', 128 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1G', 1e9],
    ['1k', 1000],
    ['2e3', 2000],
    ['1E', 1e18],
    ['1E3', 1000],
    [3, 3],
  ])('reads the quantity %j as %d', (text, amount) => {
    const parsed = parseQuantity(text);

    expect(parsed).toBeCloseTo(amount);
  });

  it.each([['lots'], ['1 Gi'], ['1gi'], ['Mi'], [''], [null]])('does not read %j as a quantity', (text) => {
    const parsed = parseQuantity(text);

    expect(parsed).toBeUndefined();
  });

  it.each([
    [qualifiedName, 'app.kubernetes.io/name', true],
    [qualifiedName, 's2i-bot.io/source-commit', true],
    [qualifiedName, 'Example.com/name', false],
    [qualifiedName, `${'a'.repeat(64)}`, false],
    [labelValue, '', true],
    [labelValue, 'hello-production', true],
    [labelValue, 'release/1.0', false],
    [portName, 'http', true],
    [portName, 'h--p', false],
    [portName, '8080', false],
    [envName, 'NODE_ENV', true],
    [envName, 'my.var-1', true],
    [envName, '1VAR', false],
    [envName, 'A=B', false],
  ])('%p accepts %j: %p', (rule, value, valid) => {
    const problem = rule(value);

    expect(problem === undefined).toBe(valid);
  });

  it('shows long values cut short with their length', () => {
    const value = 'x'.repeat(1000);

    const shown = show(value);

    expect(shown).toBe(`"${'x'.repeat(59)}…" (1000 characters)`);
  });
});
