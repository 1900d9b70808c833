import { describe, expect, it } from 'vitest';
import { latin1, utf8 } from './bytes.js';
import { type Frame, LineReader } from './line-reader.js';

function frames(reader: LineReader): Frame[] {
  const out: Frame[] = [];
  for (let frame = reader.next(); frame; frame = reader.next()) out.push(frame);
  return out;
}

function lines(reader: LineReader): string[] {
  return frames(reader).map((f) =>
    f.type === 'line'
      ? `${latin1(f.bytes)}|${f.terminator}${f.bareCr ? '|cr' : ''}`
      : `<${f.type}:${f.type === 'overflow' ? f.length : latin1(f.bytes)}>`,
  );
}

describe('LineReader', () => {
  it('splits CRLF lines and reports bare LF and bare CR', () => {
    const reader = new LineReader({ maxLineLength: 100 });
    reader.push(utf8('EHLO a\r\nMAIL\nRCPT x\ry\r\n'));
    expect(lines(reader)).toEqual(['EHLO a|crlf', 'MAIL|lf', 'RCPT x\ry|crlf|cr']);
  });

  it('keeps a partial line until its terminator arrives', () => {
    const reader = new LineReader({ maxLineLength: 100 });
    reader.push(utf8('NO'));
    expect(reader.next()).toBeUndefined();
    reader.push(utf8('OP\r'));
    expect(reader.next()).toBeUndefined();
    reader.push(utf8('\nQUIT\r\n'));
    expect(lines(reader)).toEqual(['NOOP|crlf', 'QUIT|crlf']);
  });

  it('drops an overlong line without buffering it and resynchronises on the next line', () => {
    const reader = new LineReader({ maxLineLength: 10 });
    reader.push(utf8('x'.repeat(50)));
    expect(reader.next()).toBeUndefined();
    expect(reader.buffered).toBe(0);
    for (let i = 0; i < 100; i++) reader.push(utf8('y'.repeat(1000)));
    expect(reader.buffered).toBe(0);
    reader.push(utf8('zz\r\nNOOP\r\n'));
    expect(lines(reader)).toEqual(['<overflow:100054>', 'NOOP|crlf']);
  });

  it('reports a line that is too long when it arrives whole', () => {
    const reader = new LineReader({ maxLineLength: 4 });
    reader.push(utf8('12345\r\n1234\r\n'));
    expect(lines(reader)).toEqual(['<overflow:7>', '1234|crlf']);
  });

  it('hands over known-length bytes raw, CRLF included, then returns to lines', () => {
    const reader = new LineReader({ maxLineLength: 100 });
    reader.push(utf8('A1 APPEND x {5}\r\nab\r\ncd)\r\n'));
    const first = reader.next();
    expect(first?.type === 'line' && latin1(first.bytes)).toBe('A1 APPEND x {5}');
    reader.expect(5);
    const literal = reader.next();
    expect(literal?.type === 'bytes' && latin1(literal.bytes)).toBe('ab\r\nc');
    expect(literal?.type === 'bytes' && literal.remaining).toBe(0);
    expect(lines(reader)).toEqual(['d)|crlf']);
  });

  it('returns literal bytes as views of the pushed chunk, without copying', () => {
    const reader = new LineReader({ maxLineLength: 100 });
    const chunk = new Uint8Array(1 << 20);
    reader.expect(chunk.length);
    reader.push(chunk);
    const frame = reader.next();
    expect(frame?.type).toBe('bytes');
    expect(frame?.type === 'bytes' && frame.bytes.buffer).toBe(chunk.buffer);
  });

  it('discards everything buffered on request', () => {
    const reader = new LineReader({ maxLineLength: 100 });
    reader.push(utf8('MAIL FROM:<a@b>\r\npartial'));
    expect(reader.discardBuffered()).toBe(24);
    reader.push(utf8('EHLO x\r\n'));
    expect(lines(reader)).toEqual(['EHLO x|crlf']);
  });
});
