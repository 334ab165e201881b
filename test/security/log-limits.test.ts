import { describe, expect, it } from '@jest/globals';
import { buildImage } from '../../src/build/build-image.js';
import type { OutputStream, RunResult } from '../../src/docker/container-engine.js';
import { failureOutput } from '../../src/report/check-output.js';
import { describeFailure } from '../../src/report/describe-failure.js';
import { loadEngineSettings } from '../../src/settings/engine-settings.js';
import { tarOf } from '../support/docker.js';
import { buildErrorOf } from '../support/rejection.js';
import { SucceedingEngine } from '../pipeline/succeeding-engine.js';

const BUILDER = 'registry.example.com/s2i/html:1';
const MIB = 1024 * 1024;

/** An assemble that floods its output (100,000 lines, then 16 MiB without a newline) and fails. */
class FloodingEngine extends SucceedingEngine {
  override async run(_containerId: string, onOutput: (chunk: Buffer, stream: OutputStream) => void): Promise<RunResult> {
    for (let batch = 0; batch < 100; batch += 1) {
      onOutput(Buffer.from(Array.from({ length: 1000 }, (_, line) => `line ${batch * 1000 + line} ${'x'.repeat(80)}`).join('\n') + '\n'), 'stdout');
    }
    for (let chunk = 0; chunk < 16; chunk += 1) onOutput(Buffer.alloc(MIB, 0x61), 'stderr');
    return { exitCode: 1, timedOut: false, cancelled: false };
  }
}

describe('security: build output kept in memory and shown', () => {
  it('keeps 50 lines of at most 4096 characters of a flooding assemble, and a check text GitHub accepts', async () => {
    let streamed = 0;

    const error = await buildErrorOf(
      buildImage(new FloodingEngine(BUILDER, `sha256:${'d'.repeat(64)}`), loadEngineSettings({}), {
        builder: BUILDER,
        repository: 'registry.example.com/acme/hello',
        tag: 'v1',
        source: () => tarOf({ 'index.html': 'hi' }),
        onEvent: (event) => {
          if (event.kind === 'log') streamed += 1;
        },
      }),
    );

    const text = failureOutput(describeFailure(error, 'build')).text ?? '';
    expect(error.reason).toBe('assemble exited with code 1');
    expect(streamed).toBeGreaterThan(100_000);
    expect(error.logTail).toHaveLength(50);
    expect(Math.max(...error.logTail.map((line) => line.length))).toBe(4096 + ' [line cut]'.length);
    expect(error.logTail.at(-1)).toBe(`${'a'.repeat(4096)} [line cut]`);
    expect(text.length).toBeLessThanOrEqual(65_535);
    expect(text).toMatch(/^### Log \(last lines\)\n\n```text\n…\n/);
  });
});
