import { BuildError } from '../../src/build/build-error.js';

/** Awaits a promise that must reject with a BuildError, and returns the error for the test to read. */
export async function buildErrorOf(promise: Promise<unknown>): Promise<BuildError> {
  const outcome = await promise.then(
    () => new Error('resolved, but a BuildError was expected'),
    (caught: unknown) => caught,
  );
  expect(outcome).toBeInstanceOf(BuildError);
  return outcome as BuildError;
}

/** Awaits a promise that must reject with an instance of `type`, and returns the error for the test to read. */
export async function rejectionOf<T>(promise: Promise<unknown>, type: abstract new (...args: never[]) => T): Promise<T> {
  const outcome = await promise.then(
    () => new Error('resolved, but a rejection was expected'),
    (caught: unknown) => caught,
  );
  expect(outcome).toBeInstanceOf(type);
  return outcome as T;
}
