import { LineSplitter, LogTail } from '../../src/build/log-lines.js';

function splitter(): { lines: string[]; splitter: LineSplitter } {
  const lines: string[] = [];
  return { lines, splitter: new LineSplitter((line) => lines.push(line)) };
}

describe('build/log-lines', () => {
  describe('LineSplitter', () => {
    it('splits chunks into lines across chunk boundaries', () => {
      const lines: string[] = [];
      const splitter = new LineSplitter((line) => lines.push(line));

      splitter.push(Buffer.from('first\nsec'));
      splitter.push(Buffer.from('ond\r'));
      splitter.push(Buffer.from('\nthi'));
      splitter.flush();

      expect(lines).toEqual(['first', 'second', 'thi']);
    });

    it('emits complete lines as soon as they arrive and holds the unterminated rest', () => {
      const { lines, splitter: split } = splitter();

      split.push(Buffer.from('one\ntwo\nthr'));

      expect(lines).toEqual(['one', 'two']);
    });

    it('treats each bare \\r as the end of a progress line', () => {
      const { lines, splitter: split } = splitter();

      split.push(Buffer.from('Downloading  10%\rDownloading  50%\rDownloading 100%\nDone\n'));

      expect(lines).toEqual(['Downloading  10%', 'Downloading  50%', 'Downloading 100%', 'Done']);
    });

    it('reads \\r\\n as one line end even when split between chunks, and a \\r followed by text as a progress line', () => {
      const { lines, splitter: split } = splitter();

      split.push(Buffer.from('a\r'));
      split.push(Buffer.from('\nb\r'));
      split.push(Buffer.from('c\n'));

      expect(lines).toEqual(['a', 'b', 'c']);
    });

    it('keeps empty lines between line ends', () => {
      const { lines, splitter: split } = splitter();

      split.push(Buffer.from('a\n\n\r\nb\n'));

      expect(lines).toEqual(['a', '', '', 'b']);
    });

    it('decodes a UTF-8 character split across chunks', () => {
      const { lines, splitter: split } = splitter();
      const bytes = Buffer.from('prix: 5 € ✓\n', 'utf8');
      const euro = bytes.indexOf(0xe2);

      split.push(bytes.subarray(0, euro + 1));
      split.push(bytes.subarray(euro + 1, euro + 2));
      split.push(bytes.subarray(euro + 2));

      expect(lines).toEqual(['prix: 5 € ✓']);
    });

    it('decodes a four-byte UTF-8 character delivered one byte at a time', () => {
      const { lines, splitter: split } = splitter();

      for (const byte of Buffer.from('🚀 ok\n', 'utf8')) split.push(Buffer.from([byte]));

      expect(lines).toEqual(['🚀 ok']);
    });

    it('cuts an overlong line that arrives whole', () => {
      const { lines, splitter: split } = splitter();
      const long = 'x'.repeat(5000);

      split.push(Buffer.from(`${long}\nnext\n`));

      expect(lines).toEqual([`${'x'.repeat(4096)} [line cut]`, 'next']);
    });

    it('keeps a line of exactly 4096 characters whole', () => {
      const { lines, splitter: split } = splitter();
      const line = 'y'.repeat(4096);

      split.push(Buffer.from(`${line}\n`));

      expect(lines).toEqual([line]);
    });

    it('emits an unterminated line once it grows past the limit instead of buffering it all', () => {
      const { lines, splitter: split } = splitter();

      for (let index = 0; index < 5; index += 1) split.push(Buffer.from('z'.repeat(1000)));

      expect(lines).toEqual([`${'z'.repeat(4096)} [line cut]`]);
    });

    it('flushes the unterminated last line, and nothing when there is none', () => {
      const withRest = splitter();
      const withoutRest = splitter();

      withRest.splitter.push(Buffer.from('done\nno newline'));
      withRest.splitter.flush();
      withoutRest.splitter.push(Buffer.from('done\n'));
      withoutRest.splitter.flush();

      expect(withRest.lines).toEqual(['done', 'no newline']);
      expect(withoutRest.lines).toEqual(['done']);
    });

    it('flushes a held trailing \\r as a line end', () => {
      const { lines, splitter: split } = splitter();

      split.push(Buffer.from('50%\r'));
      split.flush();

      expect(lines).toEqual(['50%']);
    });

    it('flushes an incomplete UTF-8 sequence as a replacement character', () => {
      const { lines, splitter: split } = splitter();

      split.push(Buffer.from([0x61, 0xe2, 0x82]));
      split.flush();

      expect(lines).toEqual(['a\ufffd']);
    });
  });

  describe('LogTail', () => {
    it('keeps the last 50 lines by default', () => {
      const tail = new LogTail();

      for (let index = 1; index <= 120; index += 1) tail.add(`line ${index}`);

      const lines = tail.toArray();
      expect(lines).toHaveLength(50);
      expect(lines[0]).toBe('line 71');
      expect(lines[49]).toBe('line 120');
    });

    it('keeps the last `capacity` lines in order', () => {
      const tail = new LogTail(3);

      for (const line of ['a', 'b', 'c', 'd', 'e']) tail.add(line);

      expect(tail.toArray()).toEqual(['c', 'd', 'e']);
    });

    it('keeps every line while under capacity', () => {
      const tail = new LogTail(3);

      tail.add('only');

      expect(tail.toArray()).toEqual(['only']);
    });

    it('hands out a copy that later lines do not change', () => {
      const tail = new LogTail(2);
      tail.add('a');

      const snapshot = tail.toArray();
      snapshot.push('tampered');
      tail.add('b');

      expect(snapshot).toEqual(['a', 'tampered']);
      expect(tail.toArray()).toEqual(['a', 'b']);
    });
  });
});
