import { BuildError } from '../../src/build/build-error.js';

describe('build/build-error', () => {
  it('carries the step, reason and hint and says which step failed', () => {
    const error = new BuildError({ step: 'assemble', reason: 'assemble exited with code 2', hint: 'read the log above' });

    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('BuildError');
    expect(error.message).toBe('assemble failed: assemble exited with code 2');
    expect(error.step).toBe('assemble');
    expect(error.reason).toBe('assemble exited with code 2');
    expect(error.hint).toBe('read the log above');
  });

  it('has no exit code, no log tail and no cause unless given', () => {
    const error = new BuildError({ step: 'source', reason: 'r', hint: 'h' });

    expect(error.exitCode).toBeUndefined();
    expect(error.logTail).toEqual([]);
    expect(error.cause).toBeUndefined();
  });

  it('keeps the exit code, log tail and cause', () => {
    const cause = new Error('engine said no');
    const logTail = ['npm ERR! missing script: build', 'npm ERR! A complete log of this run can be found in: /tmp/x'];

    const error = new BuildError({ step: 'assemble', reason: 'r', hint: 'h', exitCode: 1, logTail, cause });

    expect(error.exitCode).toBe(1);
    expect(error.logTail).toEqual(logTail);
    expect(error.cause).toBe(cause);
  });

  it('has a stack trace pointing at where it was thrown', () => {
    const error = new BuildError({ step: 'push', reason: 'r', hint: 'h' });

    expect(error.stack).toContain('build-error.test.ts');
  });
});
