// Free text the API stores (reasons, notes, comments, filters): never a NUL character, which
// PostgreSQL's text refuses, and lengths counted as the OpenAPI document counts them — in
// characters (code points), not UTF-16 units — so that a client built from the document cannot
// send text the API answers with 400.
import { z } from '@hono/zod-openapi';

// biome-ignore lint/suspicious/noControlCharactersInRegex: the NUL character is what is refused.
const WITHOUT_NUL = /^[^\u0000]*$/;
const WITHOUT_NUL_MESSAGE = 'expected text without NUL characters';
// biome-ignore lint/suspicious/noControlCharactersInRegex: the NUL character is what is refused.
const NOT_BLANK_WITHOUT_NUL = /^[^\u0000]*[^\s\u0000][^\u0000]*$/;

const characters = (text: string): number => [...text].length;

interface TextRules {
  min?: number;
  max: number;
  /** Also not only blanks; the message says what is expected instead. */
  notBlank?: string;
  tooShort?: string;
  tooLong?: string;
  /** What to say when the field is missing altogether. */
  missing?: string;
}

export function plainText({ min = 0, max, notBlank, tooShort, tooLong, missing }: TextRules) {
  const text = z
    .string(missing ? { error: (issue) => (issue.input === undefined ? missing : undefined) } : undefined)
    .refine((value) => characters(value) >= min, tooShort ?? `expected at least ${min} characters`)
    .refine((value) => characters(value) <= max, tooLong ?? `expected at most ${max} characters`)
    .refine((value) => WITHOUT_NUL.test(value), WITHOUT_NUL_MESSAGE)
    .refine((value) => notBlank === undefined || NOT_BLANK_WITHOUT_NUL.test(value), notBlank ?? '');
  const pattern = (notBlank === undefined ? WITHOUT_NUL : NOT_BLANK_WITHOUT_NUL).source;
  return text.openapi({ ...(min > 0 ? { minLength: min } : {}), maxLength: max, pattern });
}
