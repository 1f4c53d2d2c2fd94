import { describe, expect, it } from 'vitest';
import { heuristicFindings } from './test-helpers.js';
import { shadyHost, shadyUrls } from './urls.js';

describe('shadyHost', () => {
  it.each([
    ['198.18.0.7', 'a bare IP address'],
    ['8.8.8.8:53', 'a bare IP address'],
    ['[2a00:1450::1]:443', 'a bare IPv6 address'],
    ['0x7f000001', 'an IP address written as a number'],
    ['raw.pastebin.com', 'a paste site'],
    ['BIT.LY', 'a URL shortener'],
    ['files.catbox.moe', 'an anonymous file drop'],
    ['abc.trycloudflare.com', 'a tunnel service'],
    ['home.duckdns.org', 'a dynamic-DNS host'],
    ['x.onion', 'a Tor .onion service'],
  ])('%s is %s', (host, why) => {
    expect(shadyHost(host)).toBe(why);
  });

  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.0.1',
    '169.254.169.254',
    '100.64.0.1',
    '192.0.2.1',
    '198.51.100.1',
    '203.0.113.9',
    '0.0.0.0',
    '239.1.1.1',
    '[::1]',
    '[fe80::1]',
    '[2001:db8::1]',
    'pypi.org',
    'notbit.ly.example.com',
    'github.com',
  ])('%s is not shady', (host) => {
    expect(shadyHost(host)).toBeUndefined();
  });
});

describe('shadyUrls', () => {
  it('reads URLs with a scheme, and listed hosts without one, but not version numbers', () => {
    expect(shadyUrls('get https://bit.ly/abc and pastebin.com/raw/x')).toEqual([
      { url: 'https://bit.ly/abc', why: 'a URL shortener' },
      { url: 'pastebin.com/raw/x', why: 'a paste site' },
    ]);
    expect(shadyUrls('version 1.2.3.4/linux')).toEqual([]);
    expect(shadyUrls('(see https://goo.gl/abc).')).toEqual([
      { url: 'https://goo.gl/abc', why: 'a URL shortener' },
    ]);
  });
});

describe('PKG-URL-001', () => {
  it('skips docstrings and sentences (documentation), and rates bare URLs in setup.py as high', async () => {
    const source = [
      'def f():',
      '    """See https://goo.gl/abc for details."""',
      'MSG = "Download blocked; see http://bit.ly/xyz for the reason why."',
      'URL = "https://paste.ee/r/abc"',
    ].join('\n');
    expect(await heuristicFindings(source, 'setup.py', 'PKG-URL-001')).toEqual([
      expect.objectContaining({ line: 4, severity: 'high' }),
    ]);
  });

  it('does not read comments', async () => {
    expect(
      await heuristicFindings('# mirror: https://pastebin.com/raw/abc\nx = 1\n', undefined, 'PKG-URL-001'),
    ).toEqual([]);
  });
});
