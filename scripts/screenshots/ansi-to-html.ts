// A terminal's screen as tmux captures it (text with SGR escape sequences: colours, bold, dim)
// turned into HTML, so a browser can draw it for the docs' screenshots. Only what the CLI prints is
// understood; other escape sequences are dropped.

const COLOURS = ['#1e1e1e', '#e06c75', '#98c379', '#e5c07b', '#61afef', '#c678dd', '#56b6c2', '#dcdfe4'];
const BRIGHT = ['#5c6370', '#ff7b86', '#b5e890', '#ffd68a', '#82c4ff', '#de9bf0', '#7fd4de', '#ffffff'];

interface Style {
  colour?: string;
  bold?: boolean;
  dim?: boolean;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what is parsed
const ESCAPE = /\u001b\[([0-9;]*)([A-Za-z])/g;

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function applySgr(style: Style, parameters: string): Style {
  const codes = parameters === '' ? [0] : parameters.split(';').map(Number);
  let next = { ...style };
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] ?? 0;
    if (code === 0) next = {};
    else if (code === 1) next.bold = true;
    else if (code === 2) next.dim = true;
    else if (code === 22) next = { ...next, bold: false, dim: false };
    else if (code >= 30 && code <= 37) next.colour = COLOURS[code - 30];
    else if (code >= 90 && code <= 97) next.colour = BRIGHT[code - 90];
    else if (code === 39) delete next.colour;
    else if (code === 38 || code === 48) i += codes[i + 1] === 5 ? 2 : 4; // 256/true colour: skipped
  }
  return next;
}

function span(text: string, style: Style): string {
  const css = [
    style.colour ? `color:${style.colour}` : '',
    style.bold ? 'font-weight:bold' : '',
    style.dim ? 'opacity:0.6' : '',
  ].filter(Boolean);
  const html = escapeHtml(text);
  return css.length > 0 ? `<span style="${css.join(';')}">${html}</span>` : html;
}

/** The captured screen as the inner HTML of a <pre>. */
export function ansiToHtml(screen: string): string {
  let style: Style = {};
  let html = '';
  let last = 0;
  for (const match of screen.matchAll(ESCAPE)) {
    html += span(screen.slice(last, match.index), style);
    if (match[2] === 'm') style = applySgr(style, match[1] ?? '');
    last = match.index + match[0].length;
  }
  return html + span(screen.slice(last), style);
}

/** A whole page showing the screen as a dark terminal window. */
export function terminalPage(screen: string, title: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; background: #f4f4f4; }
.window { margin: 16px; display: inline-block; border-radius: 8px; overflow: hidden; box-shadow: 0 4px 16px #0004; }
.bar { background: #3a3f4b; color: #cfd3da; font: 13px sans-serif; padding: 6px 12px; }
pre { margin: 0; padding: 12px 16px; background: #1e1e1e; color: #dcdfe4; font: 14px/1.35 'DejaVu Sans Mono', monospace; }
</style></head><body><div class="window"><div class="bar">${escapeHtml(title)}</div><pre id="screen">${ansiToHtml(screen)}</pre></div></body></html>`;
}
