import { extractIocs, htmlToBlocks } from '../src/extract/index.js';
const html = '<table><tr><th>Product</th><th>Fixed version</th></tr><tr><td>BIG-IP</td><td>14.1.4.4</td></tr></table>';
console.log(htmlToBlocks(html));
const text = 'The C2 used the TLS client JA3: 72a589da586844d7f0818ce684948eea and the server JA3S 15af977ce25de452b96affa2addb1036; the loader imphash is f34d5f2d4577ed6d9ceec516c1f5a744.';
console.log(extractIocs(text).suppressed, extractIocs(text).iocs);
