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

/** The width a string takes on screen: escapes take none. */
export function visibleLength(text: string): number {
  return [...stripEscapes(text)].length;
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
  /** A notice on stderr, which never mixes with what stdout carries. */
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
      stderr.write(`${line}\n`);
    },
  };
}
