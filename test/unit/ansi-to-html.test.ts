import { describe, expect, it } from 'vitest';
import { ansiToHtml, terminalPage } from '../../scripts/screenshots/ansi-to-html.js';

describe('ansiToHtml', () => {
  it('turns colours, bold and dim into spans and resets them', () => {
    expect(ansiToHtml('\u001b[32m✔ done\u001b[0m then \u001b[1;31mfailed\u001b[22m!\u001b[39m')).toBe(
      '<span style="color:#98c379">✔ done</span> then <span style="color:#e06c75;font-weight:bold">failed</span><span style="color:#e06c75">!</span>',
    );
    expect(ansiToHtml('\u001b[2mwaiting\u001b[m')).toBe('<span style="opacity:0.6">waiting</span>');
  });

  it('escapes markup and drops escape sequences it does not draw', () => {
    expect(ansiToHtml('a <b> & c\u001b[2K\u001b[1A')).toBe('a &lt;b&gt; &amp; c');
    expect(ansiToHtml('\u001b[38;5;208mx\u001b[0m')).toBe('x');
  });

  it('puts the screen in a titled terminal window', () => {
    const page = terminalPage('\u001b[33m<1>\u001b[0m', 'runway watch <id>');
    expect(page).toContain('<div class="bar">runway watch &lt;id&gt;</div>');
    expect(page).toContain('<pre id="screen"><span style="color:#e5c07b">&lt;1&gt;</span></pre>');
  });
});
