// The README is the front door and docs/ holds the detail: every relative link between them must lead
// somewhere — to a file that exists and, with a #fragment, to a heading that file has (GitHub's
// anchors). Links to other sites are not followed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

const MARKDOWN_FILES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

interface Link {
  file: string;
  target: string;
}

/** The markdown without its fenced code blocks, whose `#` lines are comments, not headings. */
function withoutFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** The text outside code, fenced or inline, where links are markdown. */
function proseOf(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, '');
}

function linksIn(file: string): Link[] {
  const prose = proseOf(readFileSync(join(ROOT, file), 'utf8'));
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((match) => ({ file, target: match[1] as string }))
    .filter((link) => !/^[a-z][a-z0-9+.-]*:/i.test(link.target));
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const markdown = withoutFences(readFileSync(join(ROOT, file), 'utf8'));
  for (const [, heading] of markdown.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = (heading as string).replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** What is wrong with a link, or undefined when it leads somewhere. */
function problemWith(link: Link): string | undefined {
  const [path = '', fragment] = link.target.split('#');
  const targetFile = path === '' ? link.file : relative(ROOT, resolve(ROOT, dirname(link.file), path));
  if (!existsSync(join(ROOT, targetFile))) {
    return `${targetFile} does not exist`;
  }
  if (fragment === undefined) return undefined;
  if (!targetFile.endsWith('.md')) return `#${fragment} points into ${targetFile}, which has no headings`;
  return anchorsOf(targetFile).has(decodeURIComponent(fragment))
    ? undefined
    : `${targetFile} has no heading #${fragment}`;
}

describe('links in README.md and docs/', () => {
  const links = MARKDOWN_FILES.flatMap(linksIn);

  it('finds the relative links of every page', () => {
    expect(MARKDOWN_FILES.length).toBeGreaterThan(5);
    expect(links.filter((link) => link.file === 'README.md').length).toBeGreaterThan(10);
  });

  it.each(MARKDOWN_FILES)('%s links only to files and headings that exist', (file) => {
    const broken = links
      .filter((link) => link.file === file)
      .flatMap((link) => {
        const problem = problemWith(link);
        return problem ? [`(${link.target}): ${problem}`] : [];
      });
    expect(broken).toEqual([]);
  });

  it('links every page of docs/ from the README', () => {
    const fromReadme = new Set(
      links.filter((link) => link.file === 'README.md').map((link) => link.target.split('#')[0]),
    );
    const unlinked = MARKDOWN_FILES.filter((file) => file.startsWith('docs/') && !fromReadme.has(file));
    expect(unlinked).toEqual([]);
  });

  it('reads anchors as GitHub makes them', () => {
    const anchors = anchorsOf('docs/rollback.md');
    expect(anchors).toContain('how-fast-a-bad-release-is-undone-npm-run-benchrollback');
    expect(anchors).toContain('manual-rollback-abort-and-guided-failure-r-rb-trigger-manual-r-guided');
  });
});
