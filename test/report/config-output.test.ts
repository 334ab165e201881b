import { configInvalid } from '../../src/report/config-output.js';

describe('report/config-output', () => {
  it('names the one problem in the title and annotates its line', () => {
    const output = configInvalid([{ path: 'deploy.port', line: 6, column: 9, message: 'deploy.port: expected an integer from 1 to 65535, got "eighty"' }]);

    expect(output.title).toBe('Config failed: .github/s2i.yml is invalid: line 6: deploy.port: expected an integer from 1 to 65535, got "eighty"');
    expect(output.annotations).toEqual([
      {
        path: '.github/s2i.yml',
        start_line: 6,
        end_line: 6,
        annotation_level: 'failure',
        title: 'Invalid s2i-bot configuration',
        message: 'deploy.port: expected an integer from 1 to 65535, got "eighty"',
      },
    ]);
  });

  it('counts several problems in the title, lists each, and annotates only those with a line', () => {
    const output = configInvalid([
      { path: 'deploy.servce', line: 4, message: 'deploy.servce: unknown key (did you mean "service"?)' },
      { path: '_extends', message: '_extends: acme/base:.github/s2i.yml does not exist or the App cannot read it' },
    ]);

    expect(output.title).toBe('Config failed: 2 problems in .github/s2i.yml');
    expect(output.summary).toContain('- line 4: deploy.servce: unknown key (did you mean "service"?)\n- _extends: acme/base:.github/s2i.yml does not exist');
    expect(output.annotations?.map((annotation) => annotation.start_line)).toEqual([4]);
  });
});
