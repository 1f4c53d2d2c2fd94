import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../core/errors.js';
import { parseDistributionMetadata, parseMetadataFields } from './metadata.js';

describe('parseMetadataFields', () => {
  it('reads headers with continuation lines and stops at the description body', () => {
    const text = 'Name: x\nDescription: first\n        second\n\tthird\nVersion: 1\r\n\nBody: not a header\n';
    expect(parseMetadataFields(text, 'PKG-INFO')).toEqual([
      { name: 'name', value: 'x', line: 1 },
      { name: 'description', value: 'first\nsecond\nthird', line: 2 },
      { name: 'version', value: '1', line: 5 },
    ]);
  });

  it.each([
    [' leading continuation\n', 1, /continuation line before any header/],
    ['Name: x\nnot a header line\n', 2, /expected "Name: value"/],
  ])('fails closed on %j with the line', (text, line, message) => {
    let error: unknown;
    try {
      parseMetadataFields(text, 'a.dist-info/METADATA');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ParseError);
    expect((error as ParseError).message).toMatch(new RegExp(`^a\\.dist-info/METADATA:${line}: `));
    expect((error as ParseError).message).toMatch(message);
  });
});

describe('parseDistributionMetadata', () => {
  it('reads name, version and Requires-Dist with extras, markers and parenthesised specifiers', () => {
    const metadata = parseDistributionMetadata(
      'Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0.post1\nRequires-Dist: urllib3 (<3,>=1.21.1)\n' +
        "Requires-Dist: PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'\nRequires-Dist: requests[security]>=2\n",
      'METADATA',
    );
    expect(metadata).toMatchObject({ name: 'Foo_Bar', version: '1.0.post1', nameLine: 2 });
    expect(
      metadata.requiresDist.map(({ requirement, line }) => [
        requirement.normalizedName,
        requirement.extras,
        requirement.markerText,
        line,
      ]),
    ).toEqual([
      ['urllib3', [], undefined, 4],
      ['pysocks', [], "extra == 'socks'", 5],
      ['requests', ['security'], undefined, 6],
    ]);
  });

  it.each([
    ['Name: x\nVersion: 1\nLicense-Expression: Apache-2.0 OR MIT\nLicense: ignored\n', 'Apache-2.0 OR MIT'],
    ['Name: x\nVersion: 1\nLicense: BSD-3-Clause\n', 'BSD-3-Clause'],
    // A pasted licence text is not an identifier: the classifiers say more.
    [
      'Name: x\nVersion: 1\nLicense: Copyright (c) someone\n        Permission is granted\nClassifier: License :: OSI Approved :: MIT License\n',
      'MIT License',
    ],
    [
      'Name: x\nVersion: 1\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: BSD License\n',
      'BSD License',
    ],
    ['Name: x\nVersion: 1\n', undefined],
  ])('takes the licence from %j', (text, license) => {
    expect(parseDistributionMetadata(text, 'METADATA').license).toBe(license);
  });

  it.each([
    ['Version: 1\n', 1, /no Name header/],
    ['Name: x\n', 1, /no Version header/],
    ['Name: x\nVersion: 1\nRequires-Dist: foo >> 1\n', 3, /Requires-Dist|foo >> 1/],
  ])('fails closed on %j with the line', (text, line, message) => {
    let error: unknown;
    try {
      parseDistributionMetadata(text, 'METADATA');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ParseError);
    expect((error as ParseError).message).toMatch(new RegExp(`^METADATA:${line}: `));
    expect((error as ParseError).message).toMatch(message);
  });
});
