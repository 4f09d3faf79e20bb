// Text people write reaches Temporal Web's markdown as plain text: nothing in it becomes a link, an
// image, HTML or a block.
import { readdir, readFile } from 'node:fs/promises';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { markdownText } from '../../workflows/markdown-text.js';
import { testDataConverter } from '../support/payload-keys.js';

const HISTORIES = new URL('../replay/histories/', import.meta.url);

/** A payload as `temporal workflow show` writes it: metadata values and data in base64. */
interface RecordedPayload {
  metadata?: Record<string, string>;
  data: string;
}

const fromRecorded = (payload: RecordedPayload): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
  ),
  data: Buffer.from(payload.data, 'base64'),
});

/** Every activity summary the recorded histories hold; encrypted ones opened with the test stacks' key. */
async function recordedSummaries(): Promise<string[]> {
  const payloads: Payload[] = [];
  const collect = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(collect);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        const data = (value as { data?: unknown } | null)?.data;
        if (key === 'summary' && typeof data === 'string')
          payloads.push(fromRecorded(value as RecordedPayload));
        else collect(value);
      }
    }
  };
  for (const file of await readdir(HISTORIES)) {
    if (file.endsWith('.json')) collect(JSON.parse(await readFile(new URL(file, HISTORIES), 'utf8')));
  }
  let decoded = payloads;
  for (const codec of [...(testDataConverter.payloadCodecs ?? [])].reverse())
    decoded = await codec.decode(decoded);
  return decoded.map((payload) => defaultPayloadConverter.fromPayload<string>(payload));
}

/** What CommonMark shows for the escaped text: each backslash escape reads as its character. */
const rendered = (markdown: string) => markdown.replace(/\\([!-/:-@[-`{-~])/g, '$1');

/** Markdown constructs that must never survive unescaped. */
const UNESCAPED_CONSTRUCT =
  /(?<!\\)\[|(?<!\\)\]|(?<!\\)\(|(?<!\\)<|(?<!\\)>|(?<!\\)!|(?<!\\)`|(?<!\\)\*|(?<!\\)_|(?<!\\)&|(?<!\\)#|(?<!\\):|(?<!\\)@|www(?!\\\.)\./i;

describe('markdownText', () => {
  it.each([
    ['a link', '[release notes](https://evil.example/phish)'],
    ['an image', '![pixel](https://evil.example/track.png)'],
    ['a reference link', '[x][1]\n\n[1]: https://evil.example'],
    ['an autolink', '<https://evil.example>'],
    ['raw HTML', '<img src=x onerror=alert(1)><script>alert(1)</script>'],
    ['an HTML entity', '&lt;script&gt;'],
    ['emphasis', '**urgent** _now_ ~~never~~'],
    ['code', '`rm -rf /` and ```fenced```'],
    ['a table row', '| a | b |'],
    ['a bare URL', 'see https://evil.example/x'],
    ['a bare www host (GFM)', 'log in at www.evil.example/login'],
    ['an e-mail address (GFM)', 'write to a@evil.example'],
  ])('leaves no %s to render', (_what, text) => {
    const escaped = markdownText(text);
    expect(escaped).not.toMatch(UNESCAPED_CONSTRUCT);
    expect(rendered(escaped)).toBe(text.replace(/\s+/g, ' '));
  });

  it.each([
    ['a heading', '# Approved by the CEO', '\\# Approved by the CEO'],
    ['a list item', '- looks fine', '\\- looks fine'],
    ['a plus list item', '+ ok', '\\+ ok'],
    ['an ordered list item', '1. first', '1\\. first'],
    ['a parenthesised ordered item', '2) second', '2\\) second'],
    ['a quote', '> quoted', '\\> quoted'],
    ['a thematic break', '---', '\\---'],
  ])('leaves no %s at the start', (_what, text, expected) => {
    expect(markdownText(text)).toBe(expected);
  });

  it('keeps everything on one line: no block can be started by a line break', () => {
    const escaped = markdownText('fine\n\n# heading\r\n- item\u2028* item\ttab');
    expect(escaped).not.toMatch(/[\r\n\t\u2028]/);
    expect(escaped).toBe('fine \\# heading - item \\* item tab');
  });

  it('drops control and invisible formatting characters', () => {
    expect(markdownText('ok\u0000\u0007\u202eevil\u200bzero\ufeff')).toBe('ok evil zero');
  });

  it('caps the length, counting characters rather than code units', () => {
    expect(markdownText('x'.repeat(10_000))).toBe(`${'x'.repeat(500)}…`);
    expect(markdownText('😀'.repeat(5), 3)).toBe('😀😀😀…');
  });

  it('leaves names, versions, ids and plain sentences as they are, so recorded summaries do not change', () => {
    for (const plain of [
      'ops-wang',
      'approve-production',
      '1.4.2-rc.1',
      'edm-web-regular-1.4.2-a1b2c3',
      '?',
      'Looks good, ship it.',
      '需要回滚',
    ]) {
      expect(markdownText(plain)).toBe(plain);
    }
  });

  it('is deterministic and escapes its own output again, never un-escaping', () => {
    const text = '\\[x](y)';
    expect(markdownText(text)).toBe(markdownText(text));
    expect(rendered(markdownText(text))).toBe(text);
  });

  it('leaves the claimed names in the decision summaries of recorded histories as they were', async () => {
    const claimed = (await recordedSummaries()).flatMap((summary) => {
      const verify = /^verify the signature of (.+)'s (\S+) at (.+)$/.exec(summary);
      const record = /^record: (\S+) (\S+) at (\S+): /.exec(summary);
      return [verify, record].flatMap((match) => (match ? [match[1], match[3]] : []));
    });
    expect(claimed.length).toBeGreaterThan(20);
    // A name is recorded as markdownText wrote it (a guided gate's `guided:step` with its colon
    // escaped): escaping what it reads as must give back exactly what was recorded.
    for (const name of claimed) expect(markdownText(rendered(name ?? ''), 64)).toBe(name);
  });
});
