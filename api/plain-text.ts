// Free text the API stores (reasons, notes, links): never a NUL character, which PostgreSQL's text
// refuses. A pattern rather than a refinement, so the OpenAPI document says so too and a client
// built from it cannot send what the API answers with 400.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the NUL character is what is refused.
export const WITHOUT_NUL = /^[^\u0000]*$/;
export const WITHOUT_NUL_MESSAGE = 'expected text without NUL characters';
