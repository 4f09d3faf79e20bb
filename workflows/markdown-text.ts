// Text people write (decision comments, override reasons, refusal reasons, anything a signal's sender
// claims) reaches Temporal Web, which renders workflow details and summaries as markdown. Escaped
// here it reads as the plain text it is: no links, images, HTML, headings or emphasis can be
// injected. Pure and deterministic, so workflow code may call it; plain names and versions (a-z,
// 0-9, '-', '.') pass through unchanged, so the summaries of recorded histories stay the same.

/**
 * Every character that opens inline markdown or HTML anywhere in a line, escaped with a backslash
 * (CommonMark lets any ASCII punctuation be escaped so). ':' and '@' too, which start autolinks.
 */
const INLINE_SPECIAL = /[\\`*_{}[\]()<>!|~&#:@]/g;
/** GitHub-flavoured markdown also links bare `www.` hosts: their dot is escaped. */
const BARE_WWW = /\b(www)\./gi;
/** A list marker or a thematic break when it starts the text (a version such as 1.4.2 is neither). */
const LEADING_LIST_MARKER = /^([-+])(?=[\s-]|$)|^(\d{1,9})([.)])(?=\s|$)/;
// Line breaks, tabs and other control and invisible formatting characters: a paragraph cannot be
// broken into blocks, and nothing hides in the text (bidirectional overrides, zero-width joiners).
const LAYOUT_CHARACTERS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff\s]+/g;

/**
 * `text` as markdown that renders as exactly that text, on one line with its runs of blanks made one
 * space, at most `maxLength` characters of it (longer text ends with '…').
 */
export function markdownText(text: string, maxLength = 500): string {
  const flat = text.replace(LAYOUT_CHARACTERS, ' ').trim();
  const characters = Array.from(flat);
  const cut = characters.length > maxLength ? `${characters.slice(0, maxLength).join('')}…` : flat;
  return cut
    .replace(INLINE_SPECIAL, '\\$&')
    .replace(BARE_WWW, '$1\\.')
    .replace(LEADING_LIST_MARKER, (_match, sign?: string, digits?: string, mark?: string) =>
      sign ? `\\${sign}` : `${digits}\\${mark}`,
    );
}
