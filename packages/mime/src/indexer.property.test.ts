import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { bodyStructure } from './body-structure.js';
import { envelope } from './envelope.js';
import { MimeIndexer, indexMessage } from './indexer.js';
import { listParts, resolveSection } from './section.js';
import type { MimeIndex, MimePart } from './types.js';

/** A generated MIME tree; serialising it records where each entity landed. */
type Node =
  | { kind: 'leaf'; headers: string[]; contentType: string | null; body: string[]; finalEol: boolean }
  | {
      kind: 'multipart';
      headers: string[];
      subtype: string;
      boundary: string;
      preamble: string[] | null;
      epilogue: string[] | null;
      children: Node[];
    }
  | { kind: 'message'; headers: string[]; inner: Node };

interface Placed {
  node: Node;
  headerStart: number;
  bodyStart: number;
  bodyEnd: number;
  children: Placed[];
}

// Lines never start with `--`, so they cannot be taken for a delimiter.
const lineArb = fc
  .string({
    unit: fc.constantFrom('a', 'b', ' ', '-', '=', ':', '.', '\t', 'é', '\x80', 'Z', '0'),
    maxLength: 30,
  })
  .map((s) => (s.startsWith('--') ? `x${s}` : s));
const headerArb = fc
  .tuple(
    fc.constantFrom('X-A', 'Subject', 'From', 'X-Long-Name'),
    fc.string({ unit: fc.constantFrom('v', ' ', 'é', ';'), maxLength: 20 }),
    fc.boolean(),
  )
  .map(([name, value, folded]) => (folded ? `${name}: ${value}\n continued` : `${name}: ${value}`));
const headersArb = fc.array(headerArb, { maxLength: 3 });
const boundaryBase = fc.string({
  unit: fc.constantFrom('a', 'b', 'Z', '1', "'", '(', '+', ',', '.', '/', ':', '=', '?'),
  minLength: 1,
  maxLength: 12,
});

const treeArb = fc.letrec<{ node: Node; leaf: Node; multipart: Node; message: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    tie('multipart'),
    tie('message'),
  ),
  leaf: fc.record({
    kind: fc.constant('leaf' as const),
    headers: headersArb,
    contentType: fc.constantFrom(
      null,
      'text/plain',
      'text/html; charset=utf-8',
      'application/octet-stream',
      'image/png; name="a.png"',
    ),
    body: fc.array(lineArb, { maxLength: 5 }),
    finalEol: fc.boolean(),
  }),
  multipart: fc.record({
    kind: fc.constant('multipart' as const),
    headers: headersArb,
    subtype: fc.constantFrom('mixed', 'alternative', 'related'),
    boundary: boundaryBase,
    preamble: fc.option(fc.array(lineArb, { minLength: 1, maxLength: 2 }), { nil: null }),
    epilogue: fc.option(fc.array(lineArb, { minLength: 1, maxLength: 2 }), { nil: null }),
    children: fc.array(tie('node'), { minLength: 1, maxLength: 4 }),
  }),
  message: fc.record({ kind: fc.constant('message' as const), headers: headersArb, inner: tie('node') }),
}));

class Writer {
  text = '';
  constructor(readonly eol: string) {}
  lines(lines: readonly string[]): void {
    this.text += lines.join(this.eol);
  }
}

let boundaryCounter = 0;

function place(node: Node, w: Writer): Placed {
  const eol = w.eol;
  const headerStart = w.text.length;
  const header = node.headers.map((h) => h.replace(/\n/g, eol));
  if (node.kind === 'leaf' && node.contentType !== null) header.push(`Content-Type: ${node.contentType}`);
  if (node.kind === 'multipart') {
    node.boundary = `${node.boundary.replace(/_/g, '')}_${boundaryCounter++}`;
    header.push(`Content-Type: multipart/${node.subtype};${eol} boundary="${node.boundary}"`);
  }
  if (node.kind === 'message') header.push('Content-Type: message/rfc822');
  for (const h of header) w.text += h + eol;
  w.text += eol;
  const bodyStart = w.text.length;
  const children: Placed[] = [];
  if (node.kind === 'leaf') {
    w.lines(node.body);
    if (node.finalEol && node.body.length > 0) w.text += eol;
  } else if (node.kind === 'message') {
    children.push(place(node.inner, w));
  } else {
    if (node.preamble) w.text += node.preamble.join(eol) + eol;
    for (const child of node.children) {
      w.text += `--${node.boundary}${eol}`;
      children.push(place(child, w));
      w.text += eol;
    }
    w.text += `--${node.boundary}--`;
    if (node.epilogue) w.text += eol + node.epilogue.join(eol);
  }
  return { node, headerStart, bodyStart, bodyEnd: w.text.length, children };
}

function bytesOf(binary: string): Uint8Array {
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function expectedLines(body: string): number {
  let n = 0;
  for (const c of body) if (c === '\n') n++;
  return body.length > 0 && !body.endsWith('\n') ? n + 1 : n;
}

function check(placed: Placed, part: MimePart, text: string): void {
  const { node } = placed;
  expect(part.headerStart).toBe(placed.headerStart);
  expect(part.headerEnd).toBe(placed.bodyStart);
  expect(part.bodyStart).toBe(placed.bodyStart);
  expect(part.bodyEnd).toBe(placed.bodyEnd);
  expect(part.lines).toBe(expectedLines(text.slice(placed.bodyStart, placed.bodyEnd)));
  if (node.kind === 'multipart') {
    expect(part.type).toBe('multipart');
    expect(part.subtype).toBe(node.subtype);
    expect(part.parts?.length).toBe(placed.children.length);
    placed.children.forEach((child, i) => {
      check(child, part.parts![i]!, text);
    });
  } else if (node.kind === 'message') {
    expect(`${part.type}/${part.subtype}`).toBe('message/rfc822');
    check(placed.children[0]!, part.message!, text);
  } else {
    const type = node.contentType === null ? 'text/plain' : node.contentType.split(';')[0]!;
    expect(`${part.type}/${part.subtype}`).toBe(type);
    expect(part.parts).toBeUndefined();
    expect(part.message).toBeUndefined();
  }
}

function indexChunks(bytes: Uint8Array, cuts: number[]): MimeIndex {
  const ix = new MimeIndexer();
  let last = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    const at = Math.min(cut, bytes.length);
    ix.write(bytes.subarray(last, Math.max(last, at)));
    last = Math.max(last, at);
  }
  ix.write(bytes.subarray(last));
  return ix.end();
}

/** Invariants every index has, whatever the input. */
function checkInvariants(index: MimeIndex, bytes: Uint8Array): void {
  const walk = (p: MimePart, lo: number, hi: number) => {
    expect(lo <= p.headerStart && p.headerStart <= p.headerEnd && p.headerEnd === p.bodyStart).toBe(true);
    expect(p.bodyStart <= p.bodyEnd && p.bodyEnd <= hi).toBe(true);
    let lf = 0;
    for (let i = p.bodyStart; i < p.bodyEnd; i++) if (bytes[i] === 10) lf++;
    expect(p.lines).toBe(lf + (p.bodyEnd > p.bodyStart && bytes[p.bodyEnd - 1] !== 10 ? 1 : 0));
    let prev = p.bodyStart;
    for (const c of p.parts ?? []) {
      expect(c.headerStart >= prev).toBe(true);
      walk(c, p.bodyStart, p.bodyEnd);
      prev = c.bodyEnd;
    }
    if (p.message) {
      expect(p.message.headerStart).toBe(p.bodyStart);
      expect(p.message.bodyEnd).toBe(p.bodyEnd);
      walk(p.message, p.bodyStart, p.bodyEnd);
    }
  };
  walk(index.root, 0, index.size);
  bodyStructure(index);
  bodyStructure(index, { extended: false });
  envelope(index);
  for (const { section } of listParts(index)) {
    for (const suffix of ['', '.MIME', '.HEADER', '.TEXT']) {
      const r = resolveSection(index, section + suffix);
      if (r) expect(0 <= r.start && r.start <= r.end && r.end <= index.size).toBe(true);
    }
  }
}

describe('MimeIndexer properties', () => {
  test('the index of a generated message reproduces every part exactly, at any split', () => {
    fc.assert(
      fc.property(
        treeArb.node,
        fc.constantFrom('\r\n', '\n'),
        fc.array(fc.nat(4000), { maxLength: 8 }),
        (tree, eol, cuts) => {
          const w = new Writer(eol);
          const placed = place(structuredClone(tree), w);
          const bytes = bytesOf(w.text);
          const index = indexMessage(bytes);
          check(placed, index.root, w.text);
          expect(index.size).toBe(bytes.length);
          expect(index.limits).toBeUndefined();
          expect(indexChunks(bytes, cuts)).toEqual(index);
          expect(JSON.parse(JSON.stringify(index))).toEqual(index);
          checkInvariants(index, bytes);
        },
      ),
      { numRuns: 250 },
    );
  });

  test('damaged messages (lines deleted, duplicated, truncated) keep every invariant', () => {
    fc.assert(
      fc.property(
        treeArb.node,
        fc.constantFrom('\r\n', '\n'),
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.array(fc.nat(4000), { maxLength: 6 }),
        (tree, eol, edits, truncate, cuts) => {
          const w = new Writer(eol);
          place(structuredClone(tree), w);
          const lines = w.text.split(eol);
          for (const [at, duplicate] of edits) {
            const i = at % lines.length;
            if (duplicate) lines.splice(i, 0, lines[i]!);
            else lines.splice(i, 1);
            if (lines.length === 0) lines.push('');
          }
          let text = lines.join(eol);
          if (truncate !== undefined) text = text.slice(0, truncate % (text.length + 1));
          const bytes = bytesOf(text);
          const index = indexMessage(bytes);
          checkInvariants(index, bytes);
          expect(indexChunks(bytes, cuts)).toEqual(index);
        },
      ),
      { numRuns: 250 },
    );
  });

  const mimeish = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          '--b\r\n',
          '--b--\r\n',
          '--c\n',
          '--b',
          '\r\n',
          '\n',
          '\r',
          'Content-Type: multipart/mixed; boundary=b\r\n',
          'Content-Type: multipart/digest; boundary=c\n',
          'Content-Type: message/rfc822\r\n',
          'Content-Type: message/rfc822\r\n\r\nSubject: s\r\n',
          'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n',
          'Content-Type: multipart/alternative; boundary=c\n\n--c\n',
          'Content-Type: message/rfc822\r\n\r\n',
          '\r\n--b\r\n',
          '\r\n--b--\r\n',
          '\n--c\n',
          'Content-Transfer-Encoding: base64\r\n',
          'Subject: =?utf-8?q?x?=\r\n',
          'From: a@b, "x" <c@d>; g: ;\r\n',
          ' folded\r\n',
          'body text ',
          '-',
        ),
        fc.string({ maxLength: 5 }),
      ),
      { maxLength: 40 },
    )
    .map((pieces) => new TextEncoder().encode(pieces.join('')));

  test('MIME-ish and random bytes never throw, split-independent, invariants hold', () => {
    fc.assert(
      fc.property(
        fc.oneof(mimeish, fc.uint8Array({ maxLength: 300 })),
        fc.array(fc.nat(400), { maxLength: 6 }),
        (bytes, cuts) => {
          const index = indexMessage(bytes);
          checkInvariants(index, bytes);
          expect(indexChunks(bytes, cuts)).toEqual(index);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('small limits still give valid, split-independent indexes', () => {
    fc.assert(
      fc.property(mimeish, fc.array(fc.nat(400), { maxLength: 6 }), (bytes, cuts) => {
        const options = { maxDepth: 2, maxParts: 3, maxHeaderSize: 20, maxBoundaryLength: 1 };
        const index = indexMessage(bytes, options);
        checkInvariants(index, bytes);
        const ix = new MimeIndexer(options);
        let last = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          ix.write(bytes.subarray(last, Math.max(last, cut)));
          last = Math.max(last, cut);
        }
        ix.write(bytes.subarray(last));
        expect(ix.end()).toEqual(index);
      }),
      { numRuns: 200 },
    );
  });
});
