// What the runway command prints: human text (coloured only on a terminal, and never with
// NO_COLOR), or JSON for scripts. Errors go to stderr as one line; results to stdout.

type Paint = (text: string) => string;

export interface Palette {
  green: Paint;
  red: Paint;
  yellow: Paint;
  cyan: Paint;
  dim: Paint;
  bold: Paint;
}

const ansi =
  (open: number, close: number): Paint =>
  (text) =>
    `\x1b[${open}m${text}\x1b[${close}m`;

const COLOURS: Palette = {
  green: ansi(32, 39),
  red: ansi(31, 39),
  yellow: ansi(33, 39),
  cyan: ansi(36, 39),
  dim: ansi(2, 22),
  bold: ansi(1, 22),
};

const plain: Paint = (text) => text;
const PLAIN: Palette = { green: plain, red: plain, yellow: plain, cyan: plain, dim: plain, bold: plain };

/** Colour only on a terminal, and never when NO_COLOR is set to anything (no-color.org). */
export function wantsColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

export function paletteFor(colour: boolean): Palette {
  return colour ? COLOURS : PLAIN;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escapes is the point
const ESCAPES = /\x1b\[[0-9;]*[A-Za-z]/g;

export function stripEscapes(text: string): string {
  return text.replace(ESCAPES, '');
}

// Text from the server — a deploy script's stderr, a reason someone typed, an API error's body — is
// shown, never obeyed: an escape sequence in it could write the clipboard (OSC 52), move the cursor
// to fake a "✓ succeeded" line, or ring the bell; a line break would break a one-line field.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escapes is the point
const SERVER_SEQUENCES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
const LINE_BREAKS = /[\t\n\v\f\r]+/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROLS = /[\x00-\x1f\x7f-\x9f]/g;

/**
 * Server text as one line a terminal prints as it is: complete CSI and OSC sequences (colours, cursor
 * moves, clipboard writes) dropped, line breaks and tabs made a space, every other C0 or C1 control
 * character (a lone ESC, BEL, DEL…) shown as �.
 */
export function printable(text: string): string {
  return text.replace(SERVER_SEQUENCES, '').replace(LINE_BREAKS, ' ').replace(CONTROLS, '\ufffd');
}

/** An answer of the API with every string in it printable: what the text views read (never --json). */
export function printableStrings<T>(value: T): T {
  if (typeof value === 'string') return printable(value) as T;
  if (Array.isArray(value)) return value.map((item) => printableStrings(item)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([name, field]) => [name, printableStrings(field)]),
    ) as T;
  }
  return value;
}

// East Asian wide characters and emoji take two columns of a terminal (Unicode's EastAsianWidth W
// and F, in blocks): a reason typed in Chinese must not be counted at half its width.
const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
];

/** The columns one character takes: combining marks and joiners none, wide characters two. */
function columnsOf(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  if ((code >= 0x300 && code <= 0x36f) || code === 0x200d || (code >= 0xfe00 && code <= 0xfe0f)) return 0;
  return WIDE_RANGES.some(([from, to]) => code >= from && code <= to) ? 2 : 1;
}

/** The width a string takes on screen: escapes take none, wide characters two columns. */
export function visibleLength(text: string): number {
  let width = 0;
  for (const char of stripEscapes(text)) width += columnsOf(char);
  return width;
}

/** A line cut to at most `columns` on screen, with … where it was cut (escapes dropped then). */
export function fitToWidth(line: string, columns: number): string {
  if (visibleLength(line) <= columns) return line;
  let cut = '';
  let width = 0;
  for (const char of stripEscapes(line)) {
    if (width + columnsOf(char) > columns - 1) break;
    cut += char;
    width += columnsOf(char);
  }
  return `${cut}…`;
}

/** Columns padded to their widest cell; the last column is not padded. */
export function formatTable(headers: string[], rows: string[][], paint: Palette = PLAIN): string[] {
  const widths = headers.map((header, column) =>
    Math.max(visibleLength(header), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - visibleLength(cell)),
      )
      .join('  ')
      .trimEnd();
  return [paint.bold(line(headers)), ...rows.map(line)];
}

export interface Output {
  /** True when --json asked for JSON on stdout. */
  json: boolean;
  paint: Palette;
  stdout: NodeJS.WriteStream;
  /** One or more lines of human text on stdout. */
  print(...lines: string[]): void;
  /** A value as JSON on stdout (scripts read it). */
  printJson(value: unknown): void;
  /** A notice on stderr, which never mixes with what stdout carries: one uncoloured line, printable. */
  note(line: string): void;
}

export function createOutput(options: {
  json: boolean;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const paint = paletteFor(!options.json && wantsColour(stdout, options.env ?? process.env));
  return {
    json: options.json,
    paint,
    stdout,
    print: (...lines) => {
      for (const line of lines) stdout.write(`${line}\n`);
    },
    printJson: (value) => {
      stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    note: (line) => {
      stderr.write(`${printable(line)}\n`);
    },
  };
}
