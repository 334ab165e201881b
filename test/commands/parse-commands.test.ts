import { MAX_COMMANDS_PER_COMMENT, parseCommands, type ParsedCommand } from '../../src/commands/parse-commands.js';
import { MAX_COMMENT_BYTES } from '../../src/security/input-limits.js';

describe('commands/parse-commands', () => {
  const accepted: Array<[string, ParsedCommand[]]> = [
    ['/s2i help', [{ verb: 'help' }]],
    ['/s2i status', [{ verb: 'status' }]],
    ['/s2i build', [{ verb: 'build' }]],
    ['/s2i rebuild', [{ verb: 'rebuild', noCache: false }]],
    ['/s2i rebuild --no-cache', [{ verb: 'rebuild', noCache: true }]],
    ['/s2i deploy staging', [{ verb: 'deploy', environment: 'staging' }]],
    ['/s2i rollback production', [{ verb: 'rollback', environment: 'production' }]],
    ['/s2i rollback production 1A2b3C4', [{ verb: 'rollback', environment: 'production', sha: '1a2b3c4' }]],
    ['/s2i unpin production', [{ verb: 'unpin', environment: 'production' }]],
    ['Looks good.\n\n/s2i deploy staging\n\nThanks!', [{ verb: 'deploy', environment: 'staging' }]],
    ['   /s2i build   ', [{ verb: 'build' }]],
    ['/s2i build\r\n/s2i status', [{ verb: 'build' }, { verb: 'status' }]],
    ['/s2i\tdeploy\t qa', [{ verb: 'deploy', environment: 'qa' }]],
  ];
  it.each(accepted)('reads %j', (body, expected) => {
    expect(parseCommands(body)).toEqual(expected);
  });

  const ignored: Array<[string, string]> = [
    ['a sentence that mentions /s2i build', 'please run /s2i build later'],
    ['a quoted command', '> /s2i rebuild'],
    ['a quoted command without a space', '>/s2i rebuild'],
    ['a nested quote', '> > /s2i deploy production'],
    ['a fenced code block', 'Run this:\n```\n/s2i deploy production\n```'],
    ['a tilde fence', '~~~sh\n/s2i deploy production\n~~~'],
    ['an unclosed fence', '```\n/s2i deploy production'],
    ['an indented code block', 'Example:\n\n    /s2i deploy production'],
    ['a tab-indented line', '\t/s2i deploy production'],
    ['another prefix', '/s2ix build'],
    ['inline code', '`/s2i build`'],
    ['an empty comment', ''],
  ];
  it.each(ignored)('ignores %s', (_name, body) => {
    expect(parseCommands(body)).toEqual([]);
  });

  it('takes a command after a closed fence', () => {
    expect(parseCommands('```\n/s2i deploy production\n```\n/s2i status')).toEqual([{ verb: 'status' }]);
  });

  it('does not close a backtick fence with a tilde one', () => {
    expect(parseCommands('```\n~~~\n/s2i deploy production\n```\n/s2i help')).toEqual([{ verb: 'help' }]);
  });

  const rejected: Array<[string, string]> = [
    ['/s2i', 'no command given'],
    ['/s2i launch', 'unknown command "launch"'],
    ['/s2i help me', '`help` takes no arguments'],
    ['/s2i status now', '`status` takes no arguments'],
    ['/s2i build --force', '`build` takes no arguments'],
    ['/s2i rebuild --fast', '`rebuild` takes only `--no-cache`'],
    ['/s2i rebuild --no-cache --no-cache', '`rebuild` takes only `--no-cache`'],
    ['/s2i deploy', '`deploy` takes one environment name'],
    ['/s2i deploy a b', '`deploy` takes one environment name'],
    ['/s2i deploy Production', '"Production" is not an environment name: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit'],
    ['/s2i deploy ../prod', '"../prod" is not an environment name: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit'],
    ['/s2i deploy qa-', '"qa-" is not an environment name: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit'],
    ['/s2i unpin', '`unpin` takes one environment name'],
    ['/s2i rollback', '`rollback` takes an environment name and optionally a commit SHA'],
    ['/s2i rollback production abc', '"abc" is not a commit SHA: 7 to 40 lowercase hexadecimal digits, such as 4f2a9c1'],
    ['/s2i rollback production main', '"main" is not a commit SHA: 7 to 40 lowercase hexadecimal digits, such as 4f2a9c1'],
    [`/s2i rollback production ${'a'.repeat(41)}`, `"${'a'.repeat(41)}" is not a commit SHA: 7 to 40 lowercase hexadecimal digits, such as 4f2a9c1`],
    ['/s2i rollback production abcdef1 extra', '`rollback` takes an environment name and optionally a commit SHA'],
    ['/s2i `deploy`', 'unknown command "deploy"'],
  ];
  it.each(rejected)('answers %j with the problem', (body, problem) => {
    const [command] = parseCommands(body);

    expect(command).toEqual({ verb: 'invalid', line: expect.any(String), problem });
  });

  it('quotes the line back without backticks or control characters', () => {
    expect(parseCommands('/s2i `rm` \u0007x')).toEqual([{ verb: 'invalid', line: '/s2i rm x', problem: 'unknown command "rm"' }]);
  });

  it(`takes at most ${MAX_COMMANDS_PER_COMMENT} commands from one comment`, () => {
    const commands = parseCommands(Array.from({ length: 8 }, () => '/s2i status').join('\n'));

    expect(commands).toHaveLength(MAX_COMMANDS_PER_COMMENT + 1);
    expect(commands.at(-1)).toEqual({ verb: 'invalid', line: '/s2i status', problem: `at most ${MAX_COMMANDS_PER_COMMENT} commands are taken from one comment` });
  });

  it('reads nothing from a body GitHub could not have sent: too long, or with a NUL', () => {
    expect(parseCommands(`/s2i build\n${'x'.repeat(MAX_COMMENT_BYTES)}`)).toEqual([]);
    expect(parseCommands('/s2i build\n\u0000')).toEqual([]);
  });
});
