// Inputs that make naive extractors backtrack, recurse or rescan: the bench times them
// (bench/extract.ts), test/unit/extract/performance.test.ts checks what comes out of them.
export interface PathologicalInput {
  name: string;
  text: string;
  html: boolean;
}

export function pathologicalInputs(): PathologicalInput[] {
  return [
    { name: '20 KB of dots', text: '.'.repeat(20_000), html: false },
    { name: '1 MB without spaces', text: 'a'.repeat(1_000_000), html: false },
    { name: '1 MB without spaces of host characters', text: 'ab.cd-ef_0123:45@x/y'.repeat(50_000), html: false },
    { name: '1 MB of [.]', text: '[.]'.repeat(333_334), html: false },
    { name: '400 KB of nested [[[[.]]]]', text: `${'['.repeat(200_000)}.${']'.repeat(200_000)}`, html: false },
    { name: '1 MB of a@', text: 'a@'.repeat(500_000), html: false },
    { name: '1 MB of colons', text: ':'.repeat(1_000_000), html: false },
    { name: '1 MB of a:', text: 'a:'.repeat(500_000), html: false },
    { name: '1 MB of http://', text: 'http://'.repeat(140_000), html: false },
    { name: '1 MB of links run together', text: 'athletehttps://'.repeat(66_000), html: false },
    { name: '1 MB of hxxp[:]//', text: 'hxxp[:]//'.repeat(100_000), html: false },
    { name: '1 MB of 1.', text: '1.'.repeat(500_000), html: false },
    { name: '1 MB of " |" lines', text: ' |\n'.repeat(300_000), html: false },
    { name: '1 MB AsciiDoc row of 330k cells', text: `|===\n|${'a |'.repeat(330_000)}\n`, html: false },
    { name: '1 MB HTML row of 100k cells', text: `<table><tr>${'<td>a</td>'.repeat(100_000)}</tr></table>`, html: true },
    { name: '1 MB of lead-in lines', text: 'The C2 servers:\n'.repeat(62_500), html: false },
    { name: '1 MB of certificate fields', text: `${'O=Example Org, '.repeat(66_000)}CN=evil.co`, html: false },
    { name: '1 MB of HTML inside text', text: `<table>\n${'x\n'.repeat(500_000)}`, html: false },
    { name: '1 MB of table cells of wrapped lines', text: `<table>${`<tr><td>http://a.co/${'b/<br>'.repeat(60)}</td></tr>`.repeat(2_700)}</table>`, html: true },
    { name: '1 MB table cell of one path', text: `<table><tr><td>http://a.co/${'ab/'.repeat(333_000)}<br>x</td></tr></table>`, html: true },
    { name: '100k nested <div>', text: `${'<div>'.repeat(100_000)}evil[.]com${'</div>'.repeat(100_000)}`, html: true },
    { name: '100k unclosed <div> then stray </span>', text: `${'<div>'.repeat(100_000)}${'</span>'.repeat(100_000)}`, html: true },
    { name: '50k nested <ul><li>', text: '<ul><li>'.repeat(50_000), html: true },
  ];
}
