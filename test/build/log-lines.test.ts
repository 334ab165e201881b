import { LineSplitter, LogTail } from '../../src/build/log-lines.js';

describe('build/log-lines', () => {
  it('splits chunks into lines across chunk boundaries', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));

    splitter.push(Buffer.from('first\nsec'));
    splitter.push(Buffer.from('ond\r'));
    splitter.push(Buffer.from('\nthi'));
    splitter.flush();

    expect(lines).toEqual(['first', 'second', 'thi']);
  });
});
