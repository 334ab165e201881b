const MAX_LINE_CHARS = 4096;

/**
 * Splits a byte stream into lines (\n, \r\n, or a bare \r as progress bars print), keeping partial
 * UTF-8 sequences and unterminated lines until more data or `flush()` arrives. Overlong lines are cut.
 */
export class LineSplitter {
  private pending = '';
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    this.pending += this.decoder.decode(chunk, { stream: true });
    // A trailing \r may be the first half of \r\n: keep it until the next chunk tells.
    const held = this.pending.endsWith('\r') ? '\r' : '';
    const parts = (held ? this.pending.slice(0, -1) : this.pending).split(/\r\n|\n|\r/);
    this.pending = (parts.pop() ?? '') + held;
    for (const line of parts) this.emit(line);
    if (this.pending.length > MAX_LINE_CHARS) {
      this.emit(this.pending);
      this.pending = '';
    }
  }

  flush(): void {
    this.pending += this.decoder.decode();
    for (const line of this.pending.split(/\r\n|\n|\r/).filter((part, index, all) => part !== '' || index < all.length - 1)) this.emit(line);
    this.pending = '';
  }

  private emit(line: string): void {
    this.onLine(line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)} [line cut]` : line);
  }
}

/** The last `capacity` lines of a log. */
export class LogTail {
  private readonly lines: string[] = [];

  constructor(private readonly capacity = 50) {}

  add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.shift();
  }

  toArray(): string[] {
    return [...this.lines];
  }
}
