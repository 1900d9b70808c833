import { describe, expect, it } from 'vitest';
import { parseDovecotUidlist, parseUidlist, serializeUidlist, type Uidlist } from './uidlist.js';

const sample: Uidlist = {
  mailboxId: 'f3c1',
  uidValidity: 1700000000,
  nextUid: 12,
  highestModseq: 9,
  expungeFloor: 3,
  specialUse: '\\Sent',
  entries: [
    { uid: 4, modseq: 5, internalDate: 1, size: 10, hash: 'ab', fileName: '1.M1P2Q3.host,S=10' },
    { uid: 7, modseq: 9, internalDate: 2, size: 20, hash: 'cd', fileName: 'name with space:2,FS' },
  ],
  expunges: [{ uid: 11, modseq: 8 }],
};

describe('mailwire-uidlist', () => {
  it('round-trips', () => {
    const text = serializeUidlist(sample);
    expect(text.split('\n')[0]).toBe('MW1 V1700000000 N12 M9 E3 If3c1 U\\Sent');
    expect(parseUidlist(text)).toEqual(sample);
  });

  it('ignores lines it cannot read and never goes below a recorded UID or MODSEQ', () => {
    const text = `MW1 V5 N2 M1 E0 Ix\n9 M4 T1 S1 Hz :a\ngarbage\n3 M2 :no-fields\n-10 M6\n`;
    const list = parseUidlist(text)!;
    expect(list.entries.map((e) => e.uid)).toEqual([9]);
    expect(list.nextUid).toBe(11);
    expect(list.highestModseq).toBe(6);
    expect(parseUidlist('3 V1 N1\n')).toBeUndefined();
    expect(parseUidlist('')).toBeUndefined();
  });
});

describe('dovecot-uidlist import', () => {
  it('reads version 3 and version 1 files', () => {
    const v3 = parseDovecotUidlist('3 V1234 N10 Gabc\n5 :1.M1.host,S=5:2,S\n7 W12 :2.M2.host\n')!;
    expect(v3.uidValidity).toBe(1234);
    expect(v3.nextUid).toBe(10);
    expect([...v3.uids]).toEqual([
      ['1.M1.host,S=5', 5],
      ['2.M2.host', 7],
    ]);
    const v1 = parseDovecotUidlist('1 99 4\n3 1.M1.host:2,\n')!;
    expect(v1).toEqual({ uidValidity: 99, nextUid: 4, uids: new Map([['1.M1.host', 3]]) });
    expect(parseDovecotUidlist('2 x\n')).toBeUndefined();
  });
});
