import { createFakeResolver } from '@mailwire/dns';
import { describe, expect, it } from 'vitest';
import { evaluateDmarc } from './evaluate.js';
import { discoverDmarc, parseDmarcRecord } from './record.js';
import { dmarcTreeWalkNames, walkToOrganizationalDomain, walkToPolicyDomain } from './tree-walk.js';

const zone = () =>
  createFakeResolver({
    '_dmarc.example.com': { txt: ['v=DMARC1; p=reject; sp=quarantine'] },
    '_dmarc.sub.example.com': { txt: ['v=DMARC1; p=none'] },
    // A Public Suffix Domain publishing its own policy (DMARCbis psd=y).
    '_dmarc.bank': { txt: ['v=DMARC1; p=reject; psd=y'] },
    '_dmarc.example.bank': { txt: ['v=DMARC1; p=quarantine'] },
    // An organisation below a name that has a record too: psd=n stops the walk there.
    '_dmarc.corp.example.net': { txt: ['v=DMARC1; p=reject; psd=n'] },
    '_dmarc.example.net': { txt: ['v=DMARC1; p=none'] },
    '_dmarc.flaky.example': { fail: 'servfail' },
  });

const queried = (resolver: ReturnType<typeof zone>) =>
  resolver.queries.filter((q) => q.type === 'TXT').map((q) => q.name);

describe('DMARCbis tree walk (§4.10)', () => {
  it('reads psd= (y, n, anything else u)', () => {
    const psd = (text: string) => {
      const parsed = parseDmarcRecord(text);
      return parsed.ok ? parsed.record.publicSuffix : undefined;
    };
    expect(psd('v=DMARC1; p=none; psd=Y')).toBe('y');
    expect(psd('v=DMARC1; p=none; psd=n')).toBe('n');
    expect(psd('v=DMARC1; p=none; psd=maybe')).toBe('u');
    expect(psd('v=DMARC1; p=none')).toBe('u');
  });

  it('queries the name, jumps to the last 7 labels when it has 8 or more, then drops one at a time', () => {
    expect(dmarcTreeWalkNames('a.mail.example.com')).toEqual([
      'a.mail.example.com',
      'mail.example.com',
      'example.com',
      'com',
    ]);
    const long = 'l1.l2.l3.l4.l5.l6.l7.l8.l9.l10.example.com';
    const names = dmarcTreeWalkNames(long);
    expect(names).toEqual([
      long,
      'l6.l7.l8.l9.l10.example.com',
      'l7.l8.l9.l10.example.com',
      'l8.l9.l10.example.com',
      'l9.l10.example.com',
      'l10.example.com',
      'example.com',
      'com',
    ]);
    expect(dmarcTreeWalkNames('l2.l3.l4.l5.l6.l7.l8.example')).toHaveLength(8);
    expect(dmarcTreeWalkNames('bad..name')).toEqual([]);
  });

  it('finds the policy at the From domain itself', async () => {
    const resolver = zone();
    expect(await discoverDmarc('sub.example.com', { resolver, discovery: 'tree-walk' })).toMatchObject({
      status: 'found',
      recordDomain: 'sub.example.com',
      record: { policy: 'none' },
      organizationalDomain: 'example.com',
    });
    expect(queried(resolver)[0]).toBe('_dmarc.sub.example.com');
  });

  it('finds the policy at a parent several labels up', async () => {
    const resolver = zone();
    expect(await walkToPolicyDomain('x.y.z.example.com', resolver)).toMatchObject({
      status: 'found',
      recordDomain: 'example.com',
    });
    expect(queried(resolver)).toEqual([
      '_dmarc.x.y.z.example.com',
      '_dmarc.y.z.example.com',
      '_dmarc.z.example.com',
      '_dmarc.example.com',
    ]);
    // sp= applies: the record came from a parent of the From domain.
    const verdict = await evaluateDmarc(
      { fromDomain: 'x.y.z.example.com' },
      { resolver: zone(), discovery: 'tree-walk' },
    );
    expect(verdict).toMatchObject({ result: 'fail', policy: 'quarantine', recordDomain: 'example.com' });
  });

  it('psd=y above the name: the Organizational Domain is the label below it', async () => {
    const resolver = zone();
    expect(await walkToOrganizationalDomain('a.b.example.bank', resolver)).toEqual({
      domain: 'example.bank',
      temperror: false,
    });
    expect(queried(resolver)).toEqual([
      '_dmarc.a.b.example.bank',
      '_dmarc.b.example.bank',
      '_dmarc.example.bank',
      '_dmarc.bank',
    ]);
    // Relaxed alignment across subdomains of example.bank, but not with another bank customer.
    const from = 'news.example.bank';
    const ok = await evaluateDmarc(
      { fromDomain: from, dkim: [{ result: 'pass', domain: 'mail.example.bank' }] },
      { resolver: zone(), discovery: 'tree-walk' },
    );
    expect(ok).toMatchObject({ result: 'pass', dkimAligned: true, organizationalDomain: 'example.bank' });
    const other = await evaluateDmarc(
      { fromDomain: from, dkim: [{ result: 'pass', domain: 'mail.other.bank' }] },
      { resolver: zone(), discovery: 'tree-walk' },
    );
    expect(other).toMatchObject({ result: 'fail', dkimAligned: false, policy: 'quarantine' });
    // A PSD policy applies to a domain under it that publishes none (PSD DMARC).
    expect(
      await evaluateDmarc({ fromDomain: 'unknown.bank' }, { resolver: zone(), discovery: 'tree-walk' }),
    ).toMatchObject({
      result: 'fail',
      recordDomain: 'bank',
      policy: 'reject',
      organizationalDomain: 'unknown.bank',
    });
  });

  it('psd=n stops the walk: that name is the Organizational Domain', async () => {
    expect(await walkToOrganizationalDomain('mail.corp.example.net', zone())).toEqual({
      domain: 'corp.example.net',
      temperror: false,
    });
    // Without psd the record with the fewest labels wins.
    expect(await walkToOrganizationalDomain('a.sub.example.com', zone())).toMatchObject({
      domain: 'example.com',
    });
    // The PSL would call example.net the Organizational Domain; the tree walk does not.
    const verdict = await evaluateDmarc(
      { fromDomain: 'mail.corp.example.net', spf: { result: 'pass', domain: 'bounce.example.net' } },
      { resolver: zone(), discovery: 'tree-walk' },
    );
    expect(verdict).toMatchObject({
      result: 'fail',
      spfAligned: false,
      organizationalDomain: 'corp.example.net',
    });
    const psl = await evaluateDmarc(
      { fromDomain: 'mail.corp.example.net', spf: { result: 'pass', domain: 'bounce.example.net' } },
      { resolver: zone() },
    );
    expect(psl).toMatchObject({ result: 'pass', spfAligned: true });
  });

  it('a name of more than 8 labels costs at most 8 queries', async () => {
    const resolver = zone();
    const from = 'l1.l2.l3.l4.l5.l6.l7.l8.l9.sub.example.com';
    const verdict = await evaluateDmarc({ fromDomain: from }, { resolver, discovery: 'tree-walk' });
    expect(verdict).toMatchObject({
      result: 'fail',
      recordDomain: 'sub.example.com',
      organizationalDomain: 'example.com',
    });
    // Policy and Organizational Domain walks share their answers: 8 queries in all.
    expect(queried(resolver)).toEqual([
      `_dmarc.${from}`,
      '_dmarc.l6.l7.l8.l9.sub.example.com',
      '_dmarc.l7.l8.l9.sub.example.com',
      '_dmarc.l8.l9.sub.example.com',
      '_dmarc.l9.sub.example.com',
      '_dmarc.sub.example.com',
      '_dmarc.example.com',
      '_dmarc.com',
    ]);
    const empty = zone();
    await discoverDmarc('a.b.c.d.e.f.g.h.i.j.k.l.m.n.nothing.example', {
      resolver: empty,
      discovery: 'tree-walk',
    });
    expect(queried(empty)).toHaveLength(8);
    expect(queried(empty).at(-1)).toBe('_dmarc.example');
  });

  it('no record anywhere: none, and the name is its own Organizational Domain', async () => {
    const resolver = zone();
    expect(await discoverDmarc('a.nothing.example', { resolver, discovery: 'tree-walk' })).toMatchObject({
      status: 'none',
      organizationalDomain: 'a.nothing.example',
    });
    expect(queried(resolver)).toEqual([
      '_dmarc.a.nothing.example',
      '_dmarc.nothing.example',
      '_dmarc.example',
    ]);
    expect(
      await evaluateDmarc({ fromDomain: 'a.nothing.example' }, { resolver: zone(), discovery: 'tree-walk' }),
    ).toMatchObject({ result: 'none', policy: 'none' });
  });

  it('a DNS temporary failure is a temperror, in discovery and in alignment', async () => {
    expect(
      await evaluateDmarc({ fromDomain: 'mail.flaky.example' }, { resolver: zone(), discovery: 'tree-walk' }),
    ).toMatchObject({ result: 'temperror' });
    const verdict = await evaluateDmarc(
      { fromDomain: 'sub.example.com', dkim: [{ result: 'pass', domain: 'x.flaky.example' }] },
      { resolver: zone(), discovery: 'tree-walk' },
    );
    expect(verdict).toMatchObject({ result: 'temperror', policy: 'none' });
  });
});
